#include "server/audit_log.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/json_writer.h"
#include "common/time_util.h"

namespace holo::server {

AuditLog::~AuditLog() {
  if (file_ != nullptr) {
    Sync(/*durable=*/true);
    std::fclose(file_);
  }
}

Status AuditLog::Open(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) return Status::IOError("cannot open audit log " + path + ": " + std::strerror(errno));
  path_ = path;
  return Status::OK();
}

Status AuditLog::Append(std::string_view who, std::string_view role, std::string_view action, std::string_view target,
                        int status) {
  std::string line;
  JsonWriter w(&line);
  w.BeginObject();
  w.Key("ts").String(FormatIso8601Ms(NowMs()));
  w.Key("token").String(who);
  w.Key("role").String(role);
  w.Key("action").String(action);
  w.Key("target").String(target);
  w.Key("status").Int(status);
  w.EndObject();
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ == nullptr) return Status::FailedPrecondition("audit log not open");
  pending_ += line;
  return Status::OK();
}

Status AuditLog::Sync(bool durable) {
  // Writers keep appending to a fresh buffer while this one goes to the file.
  std::lock_guard<std::mutex> io(io_mu_);
  std::string batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (file_ == nullptr) return Status::OK();
    batch.swap(pending_);
  }
  if (!batch.empty()) {
    if (std::fwrite(batch.data(), 1, batch.size(), file_) != batch.size() || std::fflush(file_) != 0) {
      return Status::IOError("cannot write audit log " + path_ + ": " + std::strerror(errno));
    }
    dirty_ = true;
  }
  if (!durable || !dirty_) return Status::OK();
  if (fdatasync(fileno(file_)) != 0) return Status::IOError("cannot sync audit log " + path_ + ": " + std::strerror(errno));
  dirty_ = false;
  return Status::OK();
}

}  // namespace holo::server
