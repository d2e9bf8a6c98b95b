// DeadLetterWriter: appends rejected input lines, with why they were rejected, to a JSON Lines
// file that an operator can inspect (holo dead-letters), fix and re-ingest. The rejected text
// is sealed: it may hold raw identifiers and other PII (docs/privacy.md, "Dead letters").
//
//   DeadLetterWriter dead("out/taobao.dead.jsonl", keys, now_ms);
//   HOLO_RETURN_IF_ERROR(dead.Write("taobao.jsonl", 17, "taobao", "invalid UTF-8", line));
//   HOLO_RETURN_IF_ERROR(dead.Close());
//
// Each record is one line; only metadata is in clear:
//   {"file":"taobao.jsonl","line":17,"source":"taobao","error":"invalid UTF-8","ts_ms":1767225600000,
//    "bytes":5120,"gen":0,"sealed":"<hex>"}
// "bytes" is the rejected line's length; "sealed" the lower-case hex of privacy::VaultSeal of
// its first 4 KiB (kMaxRawBytes) with the vault key of generation "gen" of the store's
// keyring. Metadata strings are JSON-escaped with invalid UTF-8 replaced by U+FFFD, so the
// file is valid JSON Lines whatever the input was. Reasons must never quote raw values
// (message_parser's errors do not). Records of an older version kept the text in clear
// ("raw"); MaintainDeadLetters seals them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "holo/status.h"
#include "privacy/keyring.h"

namespace holo::ingest {

// The keys dead letters are sealed and opened with: the vault key of every generation of
// the store's keyring (privacy/keyring.h), and the generation new records are sealed with.
struct DeadLetterKeys {
  std::vector<privacy::VaultKey> vault;  // index = generation
  size_t generation = 0;
};

// Not thread-safe. The file is created (or appended to) on the first Write(): no bad lines,
// no file.
class DeadLetterWriter {
 public:
  static constexpr size_t kMaxRawBytes = 4096;

  // Records are sealed with keys.vault[keys.generation] (which must exist) and stamped
  // `now_ms`. `keys` must outlive the writer.
  DeadLetterWriter(std::string path, const DeadLetterKeys& keys, int64_t now_ms);
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
  const DeadLetterKeys& keys_;
  const int64_t now_ms_;
  std::FILE* file_ = nullptr;
  bool closed_ = false;
  uint64_t count_ = 0;
  std::string record_;  // reused per record
};

// What MaintainDeadLetters did to a dead-letter file.
struct DeadLetterMaintenance {
  uint64_t kept = 0;      // records left in the file
  uint64_t sealed = 0;    // clear-text records of an older version, sealed
  uint64_t expired = 0;   // older than the window, dropped
  uint64_t erased = 0;    // holding the erased value, dropped
  uint64_t unopened = 0;  // sealed records that do not open (kept as they are)
  uint64_t damaged = 0;   // lines that are not records (cut by a crash, damaged): dropped
};

// One pass over the dead-letter file at `path` (none: nothing to do): seals clear-text
// records of an older version (their time: the file's modification time), drops records
// older than `max_age_ms` (0: none), and, when `erase_value` is not empty, drops records
// whose opened text contains it. A line that is not a record (cut by a crash mid-append,
// damaged) is dropped and counted, never an error. The file is replaced (synced temporary
// file + rename, mode 0600) only when something changed.
Status MaintainDeadLetters(const std::string& path, const DeadLetterKeys& keys, int64_t now_ms, int64_t max_age_ms,
                           std::string_view erase_value, DeadLetterMaintenance* report);

// Calls `each` with the last `limit` records of the file (0: all), oldest first, each with
// its text opened: the record's metadata and "raw" (JSON-escaped, invalid UTF-8 as U+FFFD)
// in place of "sealed", or "unopened":true when it does not open ({"damaged":true} for a line
// that is not a record). *unopened (may be null): how many did not.
Status ReadDeadLetters(const std::string& path, const DeadLetterKeys& keys, size_t limit,
                       const std::function<void(std::string_view json)>& each, uint64_t* unopened);

// The number of records in the file (non-empty lines), none opened; 0 when there is no file.
Result<uint64_t> CountDeadLetters(const std::string& path);

// Appends `s` to *out as a JSON string literal (quotes included), replacing each byte that is
// not part of a well-formed UTF-8 sequence with U+FFFD.
void AppendJsonStringLossy(std::string_view s, std::string* out);

}  // namespace holo::ingest
