// CSV output helpers shared by the writers of CSV files (match results, generated PII).
#pragma once

#include <string>
#include <string_view>

namespace holo {

// Returns `s` as one RFC 4180 field: unchanged unless it holds a comma, quote or line
// break, else quoted with inner quotes doubled.
inline std::string CsvQuote(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace holo
