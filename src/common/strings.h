// Small string helpers shared by the modules.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "holo/status.h"

namespace holo {

// A name of something users create (a trait, segment, offer, destination, store): 1-64
// characters of [A-Za-z0-9_.-]. kInvalidArgument naming `what` ("segment") otherwise.
inline Status CheckName(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > 64) return Status::InvalidArgument(std::string(what) + " name must be 1-64 characters");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) {
      return Status::InvalidArgument(std::string(what) + " name '" + std::string(name) +
                                     "' may only hold letters, digits, '_', '-' and '.'");
    }
  }
  return Status::OK();
}

// The non-empty pieces of `text` between `sep`s, in order: "a,,b," -> {"a", "b"}.
inline std::vector<std::string> SplitNonEmpty(std::string_view text, char sep) {
  std::vector<std::string> out;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find(sep, at);
    if (end == std::string_view::npos) end = text.size();
    if (end > at) out.emplace_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

}  // namespace holo
