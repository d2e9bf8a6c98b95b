// File: profile/user_agent.h
//
// A small user-agent reader for the context traits (device_type, os_family, browser_family;
// docs/traits.md, "Context traits"). Hand-written rules over well-known tokens, in the order
// that real user agents need (Edge and Samsung Internet say "Chrome" too, Chrome on iOS says
// "Safari", Googlebot's smartphone agent says "Android ... Mobile"):
//
//   UserAgentInfo ua = ParseUserAgent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) ...");
//   ua.device_type == "mobile", ua.os_family == "iOS", ua.browser_family == "Safari"
//
// It reads families only, never versions or models: the traits segment people, they do not
// fingerprint them.
#pragma once

#include <string_view>

namespace holo::profile {

struct UserAgentInfo {
  // "mobile", "tablet", "desktop" or "bot"; empty when unknown (an empty agent, an app's
  // HTTP library).
  std::string_view device_type;
  // "Windows", "macOS", "iOS", "Android", "Chrome OS", "Linux"; empty when unknown.
  std::string_view os_family;
  // "Chrome", "Safari", "Firefox", "Edge", "Samsung Internet", "Opera", "Internet Explorer",
  // "WebView", a bot's or tool's name ("Googlebot", "bingbot", "curl", ...), "Other"; empty
  // for an empty agent.
  std::string_view browser_family;
};

// The families of `user_agent`. Never fails: what it does not recognise is empty or "Other".
UserAgentInfo ParseUserAgent(std::string_view user_agent);

}  // namespace holo::profile
