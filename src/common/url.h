// Percent-decoding and query parameters of URLs (RFC 3986), shared by the HTTP front end and
// the profile stage (UTM parameters of a page's URL).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace holo::url {

// Decodes %XX escapes (a malformed escape stays as sent); '+' becomes a space when
// `plus_is_space` (query strings). `keep_separators`: %2F and %25 stay encoded (a path's '/'
// inside a segment, and '%' so that a literal "%2F" stays apart from an encoded '/').
std::string Decode(std::string_view s, bool plus_is_space, bool keep_separators = false);

// Calls fn(key, value) for each key=value pair of a query string ("a=1&b=&c"), decoded, in
// order; empty pairs are skipped and a pair without '=' has an empty value.
template <typename Fn>
void ForEachQueryPair(std::string_view query, Fn&& fn) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    fn(Decode(pair.substr(0, eq), true), eq == std::string_view::npos ? std::string() : Decode(pair.substr(eq + 1), true));
  }
}

// The query of a URL (after the first '?', before '#'), or of a bare query ("?a=1" or "a=1"
// when `url` has no scheme and no '/'); empty when there is none.
std::string_view QueryOf(std::string_view url);

// The first value of `key` in the query of `url` (see QueryOf), decoded; nullopt when absent.
std::optional<std::string> QueryParameter(std::string_view url, std::string_view key);

}  // namespace holo::url
