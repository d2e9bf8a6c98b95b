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

Result<CsvTable> ParseCsv(std::string_view input, Encoding encoding) {
  std::string converted;
  std::string_view text = input;
  if (encoding == Encoding::kLatin1) {
    converted = Latin1ToUtf8(input);
    text = converted;
  }
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // BOM

  std::vector<std::vector<std::string>> records;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;       // the current field started with a quote
  bool in_quotes = false;    // inside the quoted section
  bool field_started = false;
  size_t line = 1;
  auto end_field = [&]() {
    row.push_back(quoted ? field : TrimSpaces(field));
    field.clear();
    quoted = false;
    field_started = false;
  };
  auto end_row = [&]() {
    end_field();
    if (!(row.size() == 1 && row[0].empty())) records.push_back(std::move(row));
    row.clear();
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
      end_row();
      ++line;
    } else if (c == '\n') {
      end_row();
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
  if (field_started || !field.empty() || !row.empty()) end_row();
  if (records.empty()) return Status::InvalidArgument("csv: no header");

  CsvTable table;
  table.header = std::move(records[0]);
  for (size_t r = 1; r < records.size(); ++r) {
    auto& rec = records[r];
    if (rec.size() > table.header.size()) {
      return Status::InvalidArgument("csv record " + std::to_string(r) + " has " +
                                     std::to_string(rec.size()) + " fields, header has " +
                                     std::to_string(table.header.size()));
    }
    rec.resize(table.header.size());
    table.rows.push_back(std::move(rec));
  }
  return table;
}

Result<CsvTable> ReadCsvFile(const std::string& path, Encoding encoding) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  Result<CsvTable> t = ParseCsv(ss.str(), encoding);
  if (!t.ok()) return t.status().WithContext(path);
  return t;
}

}  // namespace holo::match
