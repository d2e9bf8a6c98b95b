// AuditLog: an append-only, hash-chained JSON Lines file of who read, exported,
// erased or changed what (DATA/audit.jsonl; docs/privacy.md).
//
//   AuditLog audit;
//   HOLO_RETURN_IF_ERROR(audit.Open(data_dir + "/audit.jsonl"));
//   audit.Append("alice", "activation", "profile.read", "oneid:123", 200);
//
// Each entry: {"ts", "token", "role", "action", "target", "status", "prev"}, where
// "prev" is the BLAKE2b-128 (hex) of the previous line's bytes ("" for the first):
// editing or deleting an entry breaks the chain at the next one (VerifyAuditLog).
// Append buffers the entry in the process (a memory copy: the profile look-up path
// stays free of system calls); Sync() hands the buffer to the operating system and,
// when `durable`, to the disk. The server calls Sync every 50 ms and durable every
// 500 ms and at shutdown. Thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "holo/result.h"

namespace holo::privacy {

class AuditLog {
 public:
  AuditLog() = default;
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Opens (creates) the file for appending and reads its last line to continue the chain.
  Status Open(const std::string& path);
  // Buffers one entry (Sync writes it). Returns the last Sync's failure while the file
  // cannot be written: the entry is kept and written once it can, but a caller that must
  // not act unaudited (a read, an export) learns it now and refuses.
  Status Append(std::string_view who, std::string_view role, std::string_view action, std::string_view target,
                int status);
  // Writes the buffered entries (and fdatasyncs with `durable`). On failure they stay
  // buffered, in order, for the next Sync.
  Status Sync(bool durable);
  const std::string& path() const { return path_; }

 private:
  std::mutex mu_;         // guards pending_, last_ (and file_ being open)
  std::mutex io_mu_;      // one Sync at a time
  std::string pending_;   // entries not yet handed to the file
  std::string last_;      // hash (hex) of the last line appended
  std::FILE* file_ = nullptr;
  std::string path_;
  bool dirty_ = false;    // written since the last fdatasync
  Status failure_;        // the last Sync's failure (guarded by mu_)
};

// The chain hash of one line (without its newline).
std::string AuditLineHash(std::string_view line);

struct AuditQuery {
  std::string action;   // prefix ("consent." matches consent.give and consent.withdraw); empty: any
  std::string token;    // exact; empty: any
  std::string target;   // substring; empty: any
  int64_t since_ms = 0;  // inclusive; 0: from the start
  int64_t until_ms = 0;  // exclusive; 0: to the end
};

struct AuditVerification {
  uint64_t entries = 0;
  uint64_t first_broken_line = 0;  // 0: the chain holds
  std::string why;
};

// Calls `out` with every line of the log at `path` matching `query`, oldest first, and
// checks the chain on the way (every line, matching or not).
Status ReadAuditLog(const std::string& path, const AuditQuery& query, const std::function<void(std::string_view)>& out,
                    AuditVerification* verification);

}  // namespace holo::privacy
