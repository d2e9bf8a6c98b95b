// LineReader: reads a JSON Lines file in large chunks and yields its lines one by one,
// with line numbers and byte offsets so that ingestion can report and resume precisely.
//
//   HOLO_ASSIGN_OR_RETURN(std::unique_ptr<LineReader> reader, LineReader::Open(path));
//   HOLO_RETURN_IF_ERROR(reader->SkipTo(checkpoint.offset, checkpoint.line));  // optional
//   Line line;
//   while (true) {
//     HOLO_ASSIGN_OR_RETURN(bool more, reader->Next(&line));
//     if (!more) break;
//     if (line.oversized) { /* dead-letter line.text (a prefix) */ continue; }
//     Parse(line.text);
//     checkpoint = {line.next_offset, line.number + 1};
//   }
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "holo/status.h"

namespace holo::ingest {

// The path that names standard input (`holo ingest -`).
inline constexpr std::string_view kStdinPath = "-";

struct LineReaderOptions {
  // Bytes requested from the file per read. Default: 1 MiB.
  size_t chunk_bytes = 1 << 20;
  // Lines longer than this (not counting "\n" or "\r\n") are yielded with oversized = true.
  // Default: 64 KiB, the parser's limit.
  size_t max_line_bytes = 64 * 1024;
};

struct Line {
  uint64_t number = 0;  // 1-based; empty lines are skipped but counted
  uint64_t offset = 0;  // byte offset of the line's first byte in the file
  // The line without "\n" / "\r\n". For an oversized line, its first max_line_bytes bytes.
  // Valid until the next call to Next() or SkipTo().
  std::string_view text;
  bool oversized = false;
  uint64_t length = 0;       // full length in bytes, without the terminator
  uint64_t next_offset = 0;  // offset just past this line's terminator: where to resume
};

// Reads one file sequentially. Memory held is at most max_line_bytes + chunk_bytes (plus a
// copy of at most max_line_bytes for the prefix of an oversized line). Not thread-safe.
class LineReader {
 public:
  // Opens `path` for reading. Returns kNotFound if it does not exist, kUnavailable on other
  // I/O errors.
  // Opens `path`, or standard input when it is kStdinPath.
  static Result<std::unique_ptr<LineReader>> Open(const std::string& path,
                                                  LineReaderOptions options = {});
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Fills *line with the next non-empty line and returns true, or returns false at end of
  // file. A last line without a final newline is yielded like any other; a lone trailing '\r'
  // is stripped. Returns kUnavailable on a read error.
  Result<bool> Next(Line* line);

  // Positions the reader so that the next line read starts at `byte_offset` and is numbered
  // `line_number` (the values from Line::next_offset and Line::number + 1 of the last line
  // processed). `byte_offset` must be the start of a line. Returns kOutOfRange if it lies
  // beyond the end of the file (the file was truncated or replaced), kInvalidArgument if
  // line_number is 0.
  Status SkipTo(uint64_t byte_offset, uint64_t line_number);

  const std::string& path() const { return path_; }

 private:
  LineReader(int fd, std::string path, LineReaderOptions options);
  // Appends up to chunk_bytes to the buffer; sets eof_ when the file is exhausted.
  Status Fill();
  // Consumes the rest of an oversized line whose first bytes are buffered without a newline.
  Status ConsumeOversized(Line* line);

  int fd_;
  std::string path_;
  LineReaderOptions options_;
  std::vector<char> buf_;
  size_t begin_ = 0;           // first unconsumed byte in buf_
  size_t end_ = 0;             // one past the last valid byte in buf_
  uint64_t begin_offset_ = 0;  // file offset of buf_[begin_]
  uint64_t next_number_ = 1;   // number of the next line
  bool eof_ = false;
  std::string oversized_prefix_;
};

}  // namespace holo::ingest
