#include "common/url.h"

#include "common/hex.h"

namespace holo::url {

std::string Decode(std::string_view s, bool plus_is_space, bool keep_separators) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex::DigitValue(s[i + 1]) >= 0 && hex::DigitValue(s[i + 2]) >= 0) {
      const char c = static_cast<char>(hex::DigitValue(s[i + 1]) * 16 + hex::DigitValue(s[i + 2]));
      if (keep_separators && (c == '/' || c == '%')) {
        out.append(s.substr(i, 3));
      } else {
        out.push_back(c);
      }
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string_view QueryOf(std::string_view url) {
  const size_t hash = url.find('#');
  if (hash != std::string_view::npos) url = url.substr(0, hash);
  const size_t q = url.find('?');
  if (q != std::string_view::npos) return url.substr(q + 1);
  // A bare query: no scheme, no path.
  if (url.find('/') == std::string_view::npos && url.find('=') != std::string_view::npos) return url;
  return {};
}

std::optional<std::string> QueryParameter(std::string_view url, std::string_view key) {
  std::optional<std::string> found;
  ForEachQueryPair(QueryOf(url), [&](const std::string& k, std::string v) {
    if (!found && k == key) found = std::move(v);
  });
  return found;
}

}  // namespace holo::url
