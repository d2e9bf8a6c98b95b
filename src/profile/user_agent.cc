#include "profile/user_agent.h"

#include <cctype>

namespace holo::profile {
namespace {

bool Has(std::string_view ua, std::string_view token) { return ua.find(token) != std::string_view::npos; }

// Case-insensitive search for a lowercase `token`.
bool HasNoCase(std::string_view ua, std::string_view token) {
  if (token.size() > ua.size()) return false;
  for (size_t i = 0; i + token.size() <= ua.size(); ++i) {
    size_t j = 0;
    while (j < token.size() && std::tolower(static_cast<unsigned char>(ua[i + j])) == token[j]) ++j;
    if (j == token.size()) return true;
  }
  return false;
}

// Crawlers and tools, by the name they give (first match wins; the generic words last).
struct Bot {
  std::string_view token;  // lowercase
  std::string_view family;
};
constexpr Bot kBots[] = {
    {"googlebot", "Googlebot"},   {"bingbot", "bingbot"},       {"baiduspider", "Baiduspider"},
    {"yandexbot", "YandexBot"},   {"duckduckbot", "DuckDuckBot"}, {"applebot", "Applebot"},
    {"facebookexternalhit", "facebookexternalhit"}, {"curl/", "curl"}, {"wget/", "Wget"},
    {"python-requests", "python-requests"}, {"go-http-client", "Go-http-client"},
    {"headlesschrome", "HeadlessChrome"}, {"bot", "Other bot"}, {"crawler", "Other bot"},
    {"spider", "Other bot"},      {"slurp", "Other bot"},
};

std::string_view OsFamily(std::string_view ua) {
  if (Has(ua, "Windows")) return "Windows";
  if (Has(ua, "iPhone") || Has(ua, "iPad") || Has(ua, "iPod")) return "iOS";
  if (Has(ua, "Android")) return "Android";
  if (Has(ua, "CrOS")) return "Chrome OS";
  if (Has(ua, "Macintosh") || Has(ua, "Mac OS X")) return "macOS";
  if (Has(ua, "Linux") || Has(ua, "X11")) return "Linux";
  return {};
}

std::string_view BrowserFamily(std::string_view ua, std::string_view os) {
  // Those that also say Chrome or Safari first.
  if (Has(ua, "Edg/") || Has(ua, "EdgA/") || Has(ua, "EdgiOS/") || Has(ua, "Edge/")) return "Edge";
  if (Has(ua, "SamsungBrowser/")) return "Samsung Internet";
  if (Has(ua, "OPR/") || Has(ua, "Opera")) return "Opera";
  if (Has(ua, "Firefox/") || Has(ua, "FxiOS/")) return "Firefox";
  if (Has(ua, "CriOS/")) return "Chrome";
  if (Has(ua, "MSIE ") || Has(ua, "Trident/")) return "Internet Explorer";
  // An Android WebView says "; wv)"; an iOS one has no "Safari/".
  if (os == "Android" && Has(ua, "; wv)")) return "WebView";
  if (Has(ua, "Chrome/")) return "Chrome";
  if (Has(ua, "Safari/")) return os == "Android" ? "Android Browser" : "Safari";
  if (os == "iOS" && Has(ua, "AppleWebKit/")) return "WebView";
  return "Other";
}

}  // namespace

UserAgentInfo ParseUserAgent(std::string_view ua) {
  UserAgentInfo info;
  while (!ua.empty() && ua.front() == ' ') ua.remove_prefix(1);
  if (ua.empty()) return info;
  info.os_family = OsFamily(ua);
  for (const Bot& b : kBots) {
    if (HasNoCase(ua, b.token)) {
      info.device_type = "bot";
      info.browser_family = b.family;
      return info;
    }
  }
  info.browser_family = BrowserFamily(ua, info.os_family);
  if (Has(ua, "iPad") || Has(ua, "Tablet") || (info.os_family == "Android" && !Has(ua, "Mobile"))) {
    info.device_type = "tablet";
  } else if (Has(ua, "iPhone") || Has(ua, "iPod") || Has(ua, "Mobi") || Has(ua, "Windows Phone")) {
    info.device_type = "mobile";
  } else if (!info.os_family.empty()) {
    info.device_type = "desktop";
  }
  return info;
}

}  // namespace holo::profile
