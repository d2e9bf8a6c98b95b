// AuditLog: an append-only JSON Lines file of who read or exported whom.
//
//   AuditLog audit;
//   HOLO_RETURN_IF_ERROR(audit.Open(data_dir + "/audit.jsonl"));
//   audit.Append("alice", "activation", "profile.read", "oneid:123", 200);
//
// Each entry is written and flushed to the operating system before Append
// returns (it survives a crash of the process); Sync() makes the file durable
// on disk and is called at least once a second by the server. Thread-safe.
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
  Status Sync();
  const std::string& path() const { return path_; }

 private:
  std::mutex mu_;
  std::FILE* file_ = nullptr;
  std::string path_;
  bool dirty_ = false;
};

}  // namespace holo::server
