#include "profile/user_agent.h"

#include <gtest/gtest.h>

#include <string>

namespace holo::profile {
namespace {

struct Case {
  const char* what;
  const char* ua;
  const char* device;
  const char* os;
  const char* browser;
};

// Real user agents, as browsers and crawlers send them.
const Case kCases[] = {
    {"Chrome on Windows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
     "desktop", "Windows", "Chrome"},
    {"Safari on iPhone",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 "
     "Mobile/15E148 Safari/604.1",
     "mobile", "iOS", "Safari"},
    {"Safari on iPad",
     "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 "
     "Safari/604.1",
     "tablet", "iOS", "Safari"},
    {"Chrome on an Android phone",
     "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile "
     "Safari/537.36",
     "mobile", "Android", "Chrome"},
    {"Chrome on an Android tablet",
     "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
     "tablet", "Android", "Chrome"},
    {"Firefox on Linux", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "desktop",
     "Linux", "Firefox"},
    {"Edge on Windows",
     "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 "
     "Edg/124.0.2478.51",
     "desktop", "Windows", "Edge"},
    {"Samsung Internet",
     "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 "
     "Chrome/117.0.0.0 Mobile Safari/537.36",
     "mobile", "Android", "Samsung Internet"},
    {"Googlebot smartphone",
     "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
     "bot", "Android", "Googlebot"},
    {"Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot", "", "Googlebot"},
    {"curl", "curl/8.5.0", "bot", "", "curl"},
    {"Safari on a Mac",
     "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
     "Safari/605.1.15",
     "desktop", "macOS", "Safari"},
    {"Chrome on iOS",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 "
     "Mobile/15E148 Safari/604.1",
     "mobile", "iOS", "Chrome"},
    {"Firefox on Android", "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", "mobile", "Android",
     "Firefox"},
    {"an in-app WebView on iOS",
     "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
     "mobile", "iOS", "WebView"},
    {"bingbot", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bot", "", "bingbot"},
    {"Chrome OS",
     "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
     "desktop", "Chrome OS", "Chrome"},
    {"an app's HTTP library", "okhttp/4.12.0", "", "", "Other"},
    {"an empty agent", "", "", "", ""},
};

TEST(UserAgentTest, RealAgents) {
  for (const Case& c : kCases) {
    UserAgentInfo info = ParseUserAgent(c.ua);
    EXPECT_EQ(info.device_type, c.device) << c.what;
    EXPECT_EQ(info.os_family, c.os) << c.what;
    EXPECT_EQ(info.browser_family, c.browser) << c.what;
  }
}

}  // namespace
}  // namespace holo::profile
