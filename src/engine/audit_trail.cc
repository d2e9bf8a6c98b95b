#include "engine/audit_trail.h"

namespace holo::engine {

Status AuditTrail::Open(const std::string& path, bool read_only) {
  path_ = path;
  read_only_ = read_only;
  if (read_only) return Status::OK();
  return EnsureOpen();
}

Status AuditTrail::EnsureOpen() {
  if (opened_.load(std::memory_order_acquire)) return Status::OK();
  MutexLock lock(&open_mu_);
  if (opened_.load(std::memory_order_relaxed)) return Status::OK();
  HOLO_RETURN_IF_ERROR(log_.Open(path_));
  opened_.store(true, std::memory_order_release);
  return Status::OK();
}

Status AuditTrail::Append(std::string_view who, std::string_view role, std::string_view action,
                          std::string_view target, int status) {
  if (read_only_) {
    return Status::FailedPrecondition("the store is open read-only and writes no audit log (" + path_ + "); " +
                                      std::string(action) + " is audited: run it without --read-only");
  }
  HOLO_RETURN_IF_ERROR(EnsureOpen());
  return log_.Append(who, role, action, target, status);
}

Status AuditTrail::Sync(bool durable) {
  if (read_only_) return Status::OK();
  HOLO_RETURN_IF_ERROR(EnsureOpen());
  return log_.Sync(durable);
}

}  // namespace holo::engine
