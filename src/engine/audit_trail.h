// AuditTrail: the engine's audit service (include/holo/engine.h, AuditService) over the
// hash-chained log DATA/audit.jsonl (privacy/audit_log.h; docs/privacy.md). The engine opens
// it with the store, so that the server and the CLI append to one chain through one object;
// a read-only open (beside a running server, which holds the log) opens no file and refuses
// appends, so nothing it would have to audit is answered. A log that cannot be opened does not
// fail the engine's open (commands that audit nothing still run): every Append and Sync tries
// it again and returns the failure until it opens.
//
//   AuditTrail audit;
//   HOLO_RETURN_IF_ERROR(audit.Open(data_dir + "/audit.jsonl", /*read_only=*/false));
//   HOLO_RETURN_IF_ERROR(audit.Append("cli:ops", "admin", "segment.export", "segment:vip use:export", 200));
//
// Thread safety: any thread after Open (the log has its own locks; `read_only_` and
// `path_` are set by Open only, before the engine is shared; `open_mu_` makes one thread at a
// time retry a failed open).
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "common/thread_annotations.h"
#include "holo/engine.h"
#include "privacy/audit_log.h"

namespace holo::engine {

class AuditTrail final : public AuditService {
 public:
  AuditTrail() = default;
  AuditTrail(const AuditTrail&) = delete;
  AuditTrail& operator=(const AuditTrail&) = delete;

  // Opens (creates) the log at `path` and continues its chain; with `read_only`, opens
  // nothing (Append refuses, Sync does nothing). Returns the open's failure, which the next
  // Append or Sync meets again unless the log opens then.
  Status Open(const std::string& path, bool read_only) EXCLUDES(open_mu_);

  Status Append(std::string_view who, std::string_view role, std::string_view action, std::string_view target,
                int status) override EXCLUDES(open_mu_);
  Status Sync(bool durable) override EXCLUDES(open_mu_);

 private:
  // OK once the log is open; else opens it (again).
  Status EnsureOpen() EXCLUDES(open_mu_);

  privacy::AuditLog log_;
  Mutex open_mu_;
  std::atomic<bool> opened_{false};  // set under open_mu_; read without it on every append
  std::string path_;
  bool read_only_ = true;  // until Open: nothing is written
};

}  // namespace holo::engine
