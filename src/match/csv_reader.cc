#include "match/csv_reader.h"

#include <fstream>
#include <sstream>

namespace holo::match {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string TrimSpaces(std::string s) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

}  // namespace

int CsvTable::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Result<Encoding> ParseEncoding(std::string_view name) {
  if (name.empty() || name == "utf8" || name == "utf-8" || name == "UTF-8") return Encoding::kUtf8;
  if (name == "latin1" || name == "latin-1" || name == "iso-8859-1" || name == "ISO-8859-1") {
    return Encoding::kLatin1;
  }
  return Status::InvalidArgument("unknown encoding '" + std::string(name) +
                                 "' (expected utf8 or latin1)");
}

std::string Latin1ToUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (unsigned char c : text) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

Status ParseCsvRows(std::string_view input, Encoding encoding, const CsvRowCallback& on_row) {
  std::string converted;
  std::string_view text = input;
  if (encoding == Encoding::kLatin1) {
    converted = Latin1ToUtf8(input);
    text = converted;
  }
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // BOM

  size_t num_records = 0;
  size_t width = 0;
  Status status;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;     // the current field started with a quote
  bool in_quotes = false;  // inside the quoted section
  bool field_started = false;
  size_t line = 1;
  auto end_field = [&]() {
    row.push_back(quoted ? field : TrimSpaces(field));
    field.clear();
    quoted = false;
    field_started = false;
  };
  // Hands a finished record to on_row; returns false when parsing must stop.
  auto end_row = [&]() {
    end_field();
    if (!(row.size() == 1 && row[0].empty())) {
      if (num_records == 0) {
        width = row.size();
      } else if (row.size() > width) {
        status = Status::InvalidArgument("csv record " + std::to_string(num_records) + " has " +
                                         std::to_string(row.size()) + " fields, header has " +
                                         std::to_string(width));
        return false;
      } else {
        row.resize(width);
      }
      status = on_row(num_records++, row);
      if (!status.ok()) return false;
    }
    row.clear();
    return true;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && !field_started) {
      // Leading spaces before an opening quote are dropped (", " separators).
      quoted = true;
      in_quotes = true;
      field_started = true;
      field.clear();
    } else if (c == ',') {
      end_field();
    } else if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (!end_row()) return status;
      ++line;
    } else if (c == '\n') {
      if (!end_row()) return status;
      ++line;
    } else {
      if (quoted) {
        if (!IsSpace(c)) {
          return Status::InvalidArgument("csv line " + std::to_string(line) +
                                         ": text after closing quote");
        }
        continue;
      }
      if (!IsSpace(c)) field_started = true;
      field.push_back(c);
    }
  }
  if (in_quotes) return Status::InvalidArgument("csv: unterminated quoted field");
  if (field_started || !field.empty() || !row.empty()) {
    if (!end_row()) return status;
  }
  if (num_records == 0) return Status::InvalidArgument("csv: no header");
  return Status::OK();
}

Result<CsvTable> ParseCsv(std::string_view text, Encoding encoding) {
  CsvTable table;
  HOLO_RETURN_IF_ERROR(
      ParseCsvRows(text, encoding, [&](size_t index, std::vector<std::string>& row) {
        if (index == 0) {
          table.header = std::move(row);
        } else {
          table.rows.push_back(std::move(row));
        }
        return Status::OK();
      }));
  return table;
}

namespace {

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  std::string text(size > 0 ? static_cast<size_t>(size) : 0, '\0');
  if (size > 0 && !in.read(text.data(), size)) return Status::Unavailable("cannot read " + path);
  return text;
}

}  // namespace

Result<CsvTable> ReadCsvFile(const std::string& path, Encoding encoding) {
  HOLO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  Result<CsvTable> t = ParseCsv(text, encoding);
  if (!t.ok()) return t.status().WithContext(path);
  return t;
}

Status ReadCsvRows(const std::string& path, Encoding encoding, const CsvRowCallback& on_row) {
  HOLO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  Status s = ParseCsvRows(text, encoding, on_row);
  if (!s.ok()) return s.WithContext(path);
  return s;
}

}  // namespace holo::match
