// AuditLog: an append-only JSON Lines file of who read or exported whom.
//
//   AuditLog audit;
//   HOLO_RETURN_IF_ERROR(audit.Open(data_dir + "/audit.jsonl"));
//   audit.Append("alice", "activation", "profile.read", "oneid:123", 200);
//
// Append buffers the entry in the process (a memory copy: the profile look-up
// path stays free of system calls); Sync() hands the buffer to the operating
// system and, when `durable`, to the disk. The server calls Sync every 50 ms
// and durable every 500 ms and at shutdown, so a crash of the process loses at
// most the last 50 ms of entries and a crash of the machine the last 500 ms.
// Thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "holo/status.h"

namespace holo::server {

class AuditLog {
 public:
  AuditLog() = default;
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  Status Open(const std::string& path);
  Status Append(std::string_view who, std::string_view role, std::string_view action, std::string_view target,
                int status);
  Status Sync(bool durable);
  const std::string& path() const { return path_; }

 private:
  std::mutex mu_;         // guards pending_ (and file_ being open)
  std::mutex io_mu_;      // one Sync at a time
  std::string pending_;   // entries not yet handed to the file
  std::FILE* file_ = nullptr;
  std::string path_;
  bool dirty_ = false;    // written since the last fdatasync
};

}  // namespace holo::server
