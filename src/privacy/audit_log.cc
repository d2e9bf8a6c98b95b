#include "privacy/audit_log.h"

#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <simdjson.h>

#include "common/json_writer.h"
#include "common/time_util.h"

namespace holo::privacy {

std::string AuditLineHash(std::string_view line) {
  unsigned char h[16];
  crypto_generichash(h, sizeof(h), reinterpret_cast<const unsigned char*>(line.data()), line.size(), nullptr, 0);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : h) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

AuditLog::~AuditLog() {
  if (file_ != nullptr) {
    if (Status s = Sync(/*durable=*/true); !s.ok()) {
      std::fprintf(stderr, "holo: audit log entries not written at close: %s\n", s.ToString().c_str());
    }
    std::fclose(file_);
  }
}

Status AuditLog::Open(const std::string& path) {
  std::string last_line;
  {
    std::ifstream in(path, std::ios::binary);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) last_line = std::move(line);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) return Status::IOError("cannot open audit log " + path + ": " + std::strerror(errno));
  path_ = path;
  last_ = last_line.empty() ? "" : AuditLineHash(last_line);
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
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ == nullptr) return Status::FailedPrecondition("audit log not open");
  w.Key("prev").String(last_);
  w.EndObject();
  last_ = AuditLineHash(line);
  pending_ += line;
  pending_.push_back('\n');
  return failure_;
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
  Status s;
  bool written = batch.empty();
  if (!batch.empty()) {
    std::fseek(file_, 0, SEEK_END);
    const long start = std::ftell(file_);
    if (std::fwrite(batch.data(), 1, batch.size(), file_) != batch.size() || std::fflush(file_) != 0) {
      s = Status::IOError("cannot write audit log " + path_ + ": " + std::strerror(errno));
      // Nothing half-written stays behind: the batch is written again, whole, next time.
      std::clearerr(file_);
      if (start >= 0 && ftruncate(fileno(file_), start) != 0) {
        s = Status::IOError(s.message() + "; and cannot cut back a partial entry: " + std::strerror(errno));
      }
    } else {
      dirty_ = true;
      written = true;
    }
  }
  if (s.ok() && durable && dirty_) {
    if (fdatasync(fileno(file_)) != 0) {
      s = Status::IOError("cannot sync audit log " + path_ + ": " + std::strerror(errno));
    } else {
      dirty_ = false;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!written) pending_.insert(0, batch);  // kept, in order, for the next Sync
  failure_ = s;
  return s;
}

Status ReadAuditLog(const std::string& path, const AuditQuery& query, const std::function<void(std::string_view)>& out,
                    AuditVerification* v) {
  *v = AuditVerification();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("no audit log at " + path + " (nothing audited yet)");
  simdjson::dom::parser parser;
  std::string prev_hash;
  uint64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty()) continue;
    simdjson::dom::element e;
    std::string_view ts, token, action, target, prev;
    if (parser.parse(line).get(e) || e["ts"].get_string().get(ts) || e["token"].get_string().get(token) ||
        e["action"].get_string().get(action) || e["target"].get_string().get(target)) {
      if (v->first_broken_line == 0) {
        v->first_broken_line = number;
        v->why = "line " + std::to_string(number) + " is not an audit entry";
      }
      continue;
    }
    ++v->entries;
    if (e["prev"].get_string().get(prev)) prev = "(missing)";
    if (v->first_broken_line == 0 && prev != prev_hash) {
      v->first_broken_line = number;
      v->why = "line " + std::to_string(number) + " does not follow line " + std::to_string(number - 1) +
               " (an entry was changed, removed or inserted there)";
    }
    prev_hash = AuditLineHash(line);
    if (!query.action.empty() && !action.starts_with(query.action)) continue;
    if (!query.token.empty() && token != query.token) continue;
    if (!query.target.empty() && target.find(query.target) == std::string_view::npos) continue;
    if (query.since_ms != 0 || query.until_ms != 0) {
      auto ms = ParseIso8601Ms(ts);
      if (!ms.ok()) continue;
      if (query.since_ms != 0 && *ms < query.since_ms) continue;
      if (query.until_ms != 0 && *ms >= query.until_ms) continue;
    }
    out(line);
  }
  return Status::OK();
}

}  // namespace holo::privacy
