// CSV reading for the matcher: RFC 4180 quoting (doubled quotes, multi-line
// quoted fields), LF or CRLF line ends, a missing final newline, UTF-8 or
// Latin-1 input (converted to UTF-8). Unquoted fields are trimmed of
// surrounding spaces, so Febrl's ", "-separated values read cleanly.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"

namespace holo::match {

enum class Encoding { kUtf8, kLatin1 };

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // each row has header.size() fields

  // Returns the index of `name` in header, or -1.
  int ColumnIndex(std::string_view name) const;
};

// Returns "utf8"/"latin1" parsed into an Encoding, or kInvalidArgument.
Result<Encoding> ParseEncoding(std::string_view name);

// Parses CSV text (first record is the header). Rows shorter than the header
// are padded with empty fields; longer rows are an error.
Result<CsvTable> ParseCsv(std::string_view text, Encoding encoding = Encoding::kUtf8);

// Reads and parses the file at `path`.
Result<CsvTable> ReadCsvFile(const std::string& path, Encoding encoding = Encoding::kUtf8);

// Called once per CSV record: index 0 is the header, then 1.. for data rows.
// Data rows are padded to the header's width. The row may be modified and is
// reused for the next record. A non-OK status stops the parse and is returned.
using CsvRowCallback = std::function<Status(size_t index, std::vector<std::string>& row)>;

// Streams the records of `text` to `on_row` without building a table (memory
// stays at the size of the text); same rules and errors as ParseCsv.
Status ParseCsvRows(std::string_view text, Encoding encoding, const CsvRowCallback& on_row);

// Reads the file at `path` and streams its records to `on_row`.
Status ReadCsvRows(const std::string& path, Encoding encoding, const CsvRowCallback& on_row);

// Returns `text` (Latin-1 bytes) converted to UTF-8.
std::string Latin1ToUtf8(std::string_view text);

}  // namespace holo::match
