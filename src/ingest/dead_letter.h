// DeadLetterWriter: appends rejected input lines, with why they were rejected, to a JSON Lines
// file that an operator can inspect, fix and re-ingest.
//
//   DeadLetterWriter dead("out/taobao.dead.jsonl");
//   HOLO_RETURN_IF_ERROR(dead.Write("taobao.jsonl", 17, "taobao", "invalid UTF-8", line));
//   HOLO_RETURN_IF_ERROR(dead.Close());
//
// Each record is one line:
//   {"file":"taobao.jsonl","line":17,"source":"taobao","error":"invalid UTF-8","raw":"..."}
// "raw" is the line cut to its first 4 KiB (kMaxRawBytes), with every byte that is not part of
// valid UTF-8 replaced by U+FFFD; all strings are JSON-escaped, so the file is valid JSON Lines
// whatever the input was.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "holo/status.h"

namespace holo::ingest {

// Not thread-safe. The file is created (or appended to) on the first Write(): no bad lines,
// no file.
class DeadLetterWriter {
 public:
  static constexpr size_t kMaxRawBytes = 4096;

  explicit DeadLetterWriter(std::string path);
  // Closes the file, ignoring errors; call Close() to see them.
  ~DeadLetterWriter();
  DeadLetterWriter(const DeadLetterWriter&) = delete;
  DeadLetterWriter& operator=(const DeadLetterWriter&) = delete;

  // Appends one record. Returns kUnavailable if the file cannot be opened or written, or
  // kFailedPrecondition after Close().
  Status Write(std::string_view file, uint64_t line, std::string_view source,
               std::string_view error, std::string_view raw);
  // Flushes buffered records to the OS.
  Status Flush();
  // Flushes and closes. Further writes fail. Idempotent.
  Status Close();

  const std::string& path() const { return path_; }
  // Returns the number of records written so far.
  uint64_t count() const { return count_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  bool closed_ = false;
  uint64_t count_ = 0;
  std::string record_;  // reused per record
};

// Appends `s` to *out as a JSON string literal (quotes included), replacing each byte that is
// not part of a well-formed UTF-8 sequence with U+FFFD.
void AppendJsonStringLossy(std::string_view s, std::string* out);

}  // namespace holo::ingest
