// Activation: destinations, their sync state and the sync pass (activation.h).
#include "activation/activation.h"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "common/coding.h"
#include "common/hex.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "common/time_util.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::activation {

using storage::Cf;
namespace keys = storage::keys;

// ---- records ----
// Persisted formats: DO NOT CHANGE the field order (append new fields at the end).

namespace {

constexpr char kConfigVersion = 1;
constexpr char kStateVersion = 1;

std::string EncodeConfig(const DestinationConfig& d) {
  std::string v(1, kConfigVersion);
  coding::PutLengthPrefixed(&v, d.kind);
  coding::PutLengthPrefixed(&v, d.url);
  coding::PutLengthPrefixed(&v, d.path);
  coding::PutLengthPrefixed(&v, d.use);
  coding::PutLengthPrefixed(&v, d.secret);
  coding::PutVarint64(&v, d.segments.size());
  for (const std::string& s : d.segments) coding::PutLengthPrefixed(&v, s);
  for (uint32_t x : {d.batch_size, d.retry_limit, d.attempts_per_sync, d.backoff_base_ms, d.backoff_cap_ms,
                     d.timeout_ms, d.sync_interval_s}) {
    coding::PutVarint64(&v, x);
  }
  return v;
}

Result<DestinationConfig> DecodeConfig(std::string_view name, std::string_view in) {
  DestinationConfig d;
  d.name = std::string(name);
  auto bad = [&] { return Status::DataLoss("destination '" + d.name + "': damaged configuration record"); };
  if (in.empty() || in[0] != kConfigVersion) return bad();
  in.remove_prefix(1);
  std::string_view s;
  for (std::string* f : {&d.kind, &d.url, &d.path, &d.use, &d.secret}) {
    if (!coding::GetLengthPrefixed(&in, &s)) return bad();
    *f = std::string(s);
  }
  uint64_t n = 0;
  if (!coding::GetVarint64(&in, &n) || n > 10000) return bad();
  for (uint64_t i = 0; i < n; ++i) {
    if (!coding::GetLengthPrefixed(&in, &s)) return bad();
    d.segments.emplace_back(s);
  }
  for (uint32_t* f : {&d.batch_size, &d.retry_limit, &d.attempts_per_sync, &d.backoff_base_ms, &d.backoff_cap_ms,
                      &d.timeout_ms}) {
    uint64_t x = 0;
    if (!coding::GetVarint64(&in, &x)) return bad();
    *f = static_cast<uint32_t>(x);
  }
  if (!in.empty()) {  // absent in records written before scheduled syncs: the default
    uint64_t x = 0;
    if (!coding::GetVarint64(&in, &x)) return bad();
    d.sync_interval_s = static_cast<uint32_t>(x);
  }
  return d;
}

void PutBitmap(std::string* v, const Roaring& r) {
  std::string bytes(r.getSizeInBytes(/*portable=*/true), '\0');
  r.write(bytes.data(), /*portable=*/true);
  coding::PutLengthPrefixed(v, bytes);
}

bool GetBitmap(std::string_view* in, Roaring* r) {
  std::string_view bytes;
  if (!coding::GetLengthPrefixed(in, &bytes)) return false;
  try {
    *r = Roaring::readSafe(bytes.data(), bytes.size());
  } catch (...) {
    return false;
  }
  return true;
}


}  // namespace

// The sync state of one (destination, segment).
struct Activation::SegmentState {
  uint64_t seq = 0;  // the next batch's sequence number (batches acknowledged or dead-lettered so far)
  uint64_t sent = 0, retries = 0, failures = 0, dead_lettered = 0;  // totals: events, resends, failed attempts, events
  int64_t last_success_ms = 0;
  uint64_t lag = 0;  // members whose change was not acknowledged, as of the last sync or status
  std::string last_error;
  Roaring synced;  // the membership the receiver acknowledged (or that was dead-lettered)
  bool pending = false;
  uint32_t attempts = 0;    // failed attempts of the pending batch
  int64_t pending_ms = 0;   // the pending batch's timestamp
  Roaring entered, exited;  // the pending batch

  // The pending batch of `n` events is done with (acknowledged or dead-lettered): the
  // receiver's membership takes it in and the next batch gets the next sequence number.
  void Advance(uint64_t n) {
    synced |= entered;
    synced -= exited;
    lag = lag > n ? lag - n : 0;
    ++seq;
    pending = false;
    entered = Roaring();
    exited = Roaring();
  }

  std::string Encode() const {
    std::string v(1, kStateVersion);
    for (uint64_t x : {seq, sent, retries, failures, dead_lettered, lag}) coding::PutVarint64(&v, x);
    coding::PutVarsint64(&v, last_success_ms);
    coding::PutLengthPrefixed(&v, last_error);
    PutBitmap(&v, synced);
    v.push_back(pending ? 1 : 0);
    if (pending) {
      coding::PutVarint64(&v, attempts);
      coding::PutVarsint64(&v, pending_ms);
      PutBitmap(&v, entered);
      PutBitmap(&v, exited);
    }
    return v;
  }
  bool Decode(std::string_view in) {
    if (in.empty() || in[0] != kStateVersion) return false;
    in.remove_prefix(1);
    for (uint64_t* x : {&seq, &sent, &retries, &failures, &dead_lettered, &lag}) {
      if (!coding::GetVarint64(&in, x)) return false;
    }
    std::string_view err;
    if (!coding::GetVarsint64(&in, &last_success_ms) || !coding::GetLengthPrefixed(&in, &err)) return false;
    last_error = std::string(err);
    if (!GetBitmap(&in, &synced) || in.empty()) return false;
    pending = in[0] != 0;
    in.remove_prefix(1);
    if (pending) {
      uint64_t a = 0;
      if (!coding::GetVarint64(&in, &a) || !coding::GetVarsint64(&in, &pending_ms)) return false;
      attempts = static_cast<uint32_t>(a);
      if (!GetBitmap(&in, &entered) || !GetBitmap(&in, &exited)) return false;
    }
    return true;
  }
};

namespace {

using SegmentState = Activation::SegmentState;

Result<SegmentState> LoadState(storage::Store* store, std::string_view name, std::string_view segment) {
  SegmentState st;
  HOLO_ASSIGN_OR_RETURN(auto v, store->Get(Cf::kMeta, keys::DestinationStateKey(name, segment)));
  if (v && !st.Decode(*v)) {
    return Status::DataLoss("destination '" + std::string(name) + "', segment '" + std::string(segment) +
                            "': damaged sync state");
  }
  return st;
}

Status SaveState(storage::Store* store, std::string_view name, std::string_view segment, const SegmentState& st) {
  storage::WriteBatch batch(*store);
  batch.Put(Cf::kMeta, keys::DestinationStateKey(name, segment), st.Encode());
  return store->Write(&batch, /*sync=*/true);
}

std::string BatchId(const DestinationConfig& d, std::string_view segment, uint64_t seq) {
  return d.name + ":" + std::string(segment) + ":" + std::to_string(seq);
}

// The events of the pending batch, entered first, each in ascending OneID order.
std::vector<std::string> BatchEvents(const DestinationConfig& d, std::string_view segment, const SegmentState& st) {
  std::vector<std::string> events;
  const std::string batch_id = BatchId(d, segment, st.seq);
  const std::string ts = FormatIso8601Ms(st.pending_ms);
  for (bool entering : {true, false}) {
    for (uint32_t id : entering ? st.entered : st.exited) {
      std::string e;
      JsonWriter w(&e);
      w.BeginObject().Key("type").String("track");
      w.Key("event").String(entering ? "Audience Entered" : "Audience Exited");
      w.Key("userId").String(std::to_string(id));
      w.Key("properties").BeginObject().Key("audience_key").String(segment).Key(std::string(segment)).Bool(entering);
      w.Key("destination").String(d.name).Key("seq").Uint(st.seq).EndObject();
      w.Key("messageId").String(batch_id + ":" + std::to_string(id) + (entering ? ":entered" : ":exited"));
      w.Key("timestamp").String(ts);
      w.Key("context").BeginObject().Key("library").BeginObject().Key("name").String("holo").EndObject().EndObject();
      w.EndObject();
      events.push_back(std::move(e));
    }
  }
  return events;
}

// What is sent: a webhook's JSON body {"batch": [...]}, a file's JSON lines.
std::string Payload(const DestinationConfig& d, std::string_view segment, uint64_t seq,
                    const std::vector<std::string>& events) {
  std::string out;
  if (d.kind == "file") {
    for (const std::string& e : events) out += e + "\n";
    return out;
  }
  JsonWriter w(&out);
  w.BeginObject().Key("destination").String(d.name).Key("segment").String(segment).Key("seq").Uint(seq);
  w.Key("batch").BeginArray();
  for (const std::string& e : events) w.RawValue(e);
  w.EndArray().EndObject();
  return out;
}

uint32_t Backoff(const DestinationConfig& d, uint32_t attempts) {
  uint64_t ms = d.backoff_base_ms;
  for (uint32_t i = 1; i < attempts && ms < d.backoff_cap_ms; ++i) ms *= 2;
  return static_cast<uint32_t>(std::min<uint64_t>(ms, d.backoff_cap_ms));
}

void WriteConfigJson(const DestinationConfig& d, JsonWriter& w) {
  w.BeginObject().Key("name").String(d.name).Key("kind").String(d.kind);
  if (d.kind == "webhook") w.Key("url").String(d.url);
  if (d.kind == "file") w.Key("path").String(d.path);
  w.Key("segments").BeginArray();
  for (const std::string& s : d.segments) w.String(s);
  w.EndArray();
  w.Key("use").String(d.use).Key("batch_size").Uint(d.batch_size).Key("retry_limit").Uint(d.retry_limit);
  w.Key("attempts_per_sync").Uint(d.attempts_per_sync).Key("backoff_base_ms").Uint(d.backoff_base_ms);
  w.Key("backoff_cap_ms").Uint(d.backoff_cap_ms).Key("timeout_ms").Uint(d.timeout_ms);
  w.Key("sync_interval_s").Uint(d.sync_interval_s);
  w.EndObject();
}

}  // namespace

std::string Signature(std::string_view secret, std::string_view body) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return "sha256=" + hex::Encode(mac, sizeof(mac));
}

// ---- the service ----

// What one sync pass did, per segment.
struct Activation::Pass {
  struct Segment {
    std::string segment;
    uint64_t sent = 0, entered = 0, exited = 0, batches = 0, retries = 0, failures = 0, dead_lettered = 0, lag = 0;
    bool pending = false;
    std::string error;
  };
  std::vector<Segment> segments;
};

Activation::Activation(storage::Store* store, std::string data_dir, Hooks hooks, std::unique_ptr<Sender> sender)
    : store_(store), data_dir_(std::move(data_dir)), hooks_(std::move(hooks)), sender_(std::move(sender)) {
  if (sodium_init() < 0) std::abort();  // libsodium cannot work at all: nothing to sign with
}

Activation::~Activation() = default;

std::string Activation::DeadLetterPath(std::string_view name) const {
  return (std::filesystem::path(data_dir_) / "destinations" / (std::string(name) + ".dead_letter.jsonl")).string();
}

Result<std::string> Activation::AddDestination(const DestinationConfig& config) {
  DestinationConfig d = config;
  HOLO_RETURN_IF_ERROR(CheckName(d.name, "destination"));
  if (d.kind == "webhook") {
    if (!d.url.starts_with("http://") && !d.url.starts_with("https://")) {
      return Status::InvalidArgument("a webhook destination needs an http:// or https:// URL");
    }
    d.path.clear();
  } else if (d.kind == "file") {
    if (d.path.empty()) return Status::InvalidArgument("a file destination needs a path");
    d.url.clear();
  } else {
    return Status::InvalidArgument("a destination is a webhook or a file");
  }
  if (d.segments.empty()) return Status::InvalidArgument("a destination syncs at least one segment");
  std::sort(d.segments.begin(), d.segments.end());
  d.segments.erase(std::unique(d.segments.begin(), d.segments.end()), d.segments.end());
  if (d.use.empty()) d.use = "activation";
  if (d.batch_size == 0 || d.batch_size > 10000) return Status::InvalidArgument("batch_size must be 1-10000");
  if (d.retry_limit == 0) return Status::InvalidArgument("retry_limit must be at least 1");
  if (d.attempts_per_sync == 0) return Status::InvalidArgument("attempts_per_sync must be at least 1");
  if (d.timeout_ms == 0) return Status::InvalidArgument("timeout_ms must be at least 1");
  if (d.sync_interval_s > 7 * 86400) {
    return Status::InvalidArgument("sync_interval_s must be 0 (only when asked) to 604800 (a week)");
  }
  for (const std::string& s : d.segments) {
    if (s.find('\0') != std::string::npos) return Status::InvalidArgument("a segment name holds no NUL");
    HOLO_RETURN_IF_ERROR(hooks_.allowed_members(s, d.use).status());  // the segment and the use exist
  }
  if (d.secret.empty()) {
    unsigned char key[32];
    randombytes_buf(key, sizeof(key));
    d.secret = hex::Encode(key, sizeof(key));
  }
  MutexLock lock(&mu_);
  storage::WriteBatch batch(*store_);
  batch.Put(Cf::kMeta, keys::DestinationConfigKey(d.name), EncodeConfig(d));
  HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  return d.secret;
}

Result<std::vector<DestinationConfig>> Activation::Configs(std::string_view name) const {
  std::vector<DestinationConfig> out;
  if (!name.empty()) {
    HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kMeta, keys::DestinationConfigKey(name)));
    if (!v) return Status::NotFound("no destination named '" + std::string(name) + "'");
    HOLO_ASSIGN_OR_RETURN(DestinationConfig d, DecodeConfig(name, *v));
    out.push_back(std::move(d));
    return out;
  }
  storage::ScanOptions so;
  so.upper_bound = keys::PrefixSuccessor(keys::kDestinationConfigPrefix);
  auto it = store_->NewCursor(Cf::kMeta, so);
  for (it->Seek(keys::kDestinationConfigPrefix); it->Valid() && it->key().starts_with(keys::kDestinationConfigPrefix);
       it->Next()) {
    std::string_view n = it->key().substr(keys::kDestinationConfigPrefix.size());
    HOLO_ASSIGN_OR_RETURN(DestinationConfig d, DecodeConfig(n, it->value()));
    out.push_back(std::move(d));
  }
  HOLO_RETURN_IF_ERROR(it->status());
  return out;
}

Result<std::string> Activation::ListDestinationsJson() {
  HOLO_ASSIGN_OR_RETURN(auto configs, Configs(""));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("destinations").BeginArray();
  for (const DestinationConfig& d : configs) WriteConfigJson(d, w);
  w.EndArray().EndObject();
  return out;
}

Status Activation::DeadLetter(const DestinationConfig& d, const std::string& segment, uint64_t seq,
                              uint32_t attempts, const std::string& error, const std::string& body) {
  std::error_code ec;
  const std::string path = DeadLetterPath(d.name);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Status::IOError("cannot create the directory of " + path + ": " + ec.message());
  std::string line;
  JsonWriter w(&line);
  w.BeginObject().Key("destination").String(d.name).Key("segment").String(segment).Key("seq").Uint(seq);
  w.Key("attempts").Uint(attempts).Key("error").String(error).Key("at").String(FormatIso8601Ms(hooks_.now_ms()));
  w.Key("payload").String(body).EndObject();
  line.push_back('\n');
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return Status::IOError("cannot write " + path + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return Status::IOError("cannot sync " + path);
  return Status::OK();
}

Status Activation::SyncSegment(const DestinationConfig& d, const std::string& segment, Pass* pass) {
  Pass::Segment& r = pass->segments.emplace_back();
  r.segment = segment;
  HOLO_ASSIGN_OR_RETURN(SegmentState st, LoadState(store_, d.name, segment));
  for (;;) {
    if (interrupted_) {  // shutting down: nothing new is sent; a pending batch stays pending
      r.pending = true;
      r.lag = st.lag;
      r.error = "interrupted (shutting down)";
      return Status::OK();
    }
    if (!st.pending) {
      HOLO_ASSIGN_OR_RETURN(Roaring now, hooks_.allowed_members(segment, d.use));
      Roaring entered = now - st.synced, exited = st.synced - now;
      const uint64_t lag = entered.cardinality() + exited.cardinality();
      if (lag == 0) {
        if (st.lag != 0) {
          st.lag = 0;
          HOLO_RETURN_IF_ERROR(SaveState(store_, d.name, segment, st));
        }
        r.lag = 0;
        return Status::OK();
      }
      // The next batch: entered members first, then exited, up to batch_size. Written
      // before it is sent, so that a restart resends exactly it.
      st.entered = Roaring();
      st.exited = Roaring();
      uint32_t room = d.batch_size;
      for (uint32_t id : entered) {
        if (room == 0) break;
        st.entered.add(id);
        --room;
      }
      for (uint32_t id : exited) {
        if (room == 0) break;
        st.exited.add(id);
        --room;
      }
      st.pending = true;
      st.attempts = 0;
      st.pending_ms = hooks_.now_ms();
      st.lag = lag;
      HOLO_RETURN_IF_ERROR(SaveState(store_, d.name, segment, st));
    }
    const std::vector<std::string> events = BatchEvents(d, segment, st);
    const std::string payload = Payload(d, segment, st.seq, events);
    const uint64_t n = events.size();
    uint32_t tries_this_pass = 0;
    for (;;) {
      if (st.attempts > 0) {
        ++st.retries;
        ++r.retries;
      }
      Status s = sender_->Send(d, BatchId(d, segment, st.seq), payload);
      ++tries_this_pass;
      if (s.ok()) {
        st.sent += n;
        r.sent += n;
        r.entered += st.entered.cardinality();
        r.exited += st.exited.cardinality();
        ++r.batches;
        st.last_success_ms = hooks_.now_ms();
        st.Advance(n);
        HOLO_RETURN_IF_ERROR(SaveState(store_, d.name, segment, st));
        break;
      }
      ++st.attempts;
      ++st.failures;
      ++r.failures;
      st.last_error = s.message();
      r.error = s.message();
      if (st.attempts >= d.retry_limit) {
        // Given up: the batch goes to the dead-letter file and the state advances past it.
        HOLO_RETURN_IF_ERROR(DeadLetter(d, segment, st.seq, st.attempts, st.last_error, payload));
        st.dead_lettered += n;
        r.dead_lettered += n;
        st.Advance(n);
        HOLO_RETURN_IF_ERROR(SaveState(store_, d.name, segment, st));
        break;
      }
      HOLO_RETURN_IF_ERROR(SaveState(store_, d.name, segment, st));
      if (tries_this_pass >= d.attempts_per_sync) {  // the next pass goes on with it
        r.pending = true;
        r.lag = st.lag;
        return Status::OK();
      }
      if (!BackoffWait(Backoff(d, st.attempts))) {  // shutting down: the next pass goes on with it
        r.pending = true;
        r.lag = st.lag;
        r.error = "interrupted (shutting down) after: " + st.last_error;
        return Status::OK();
      }
    }
  }
}

Result<std::string> Activation::SyncDestinations(std::string_view name) {
  HOLO_ASSIGN_OR_RETURN(auto configs, Configs(name));
  MutexLock lock(&mu_);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("destinations").BeginArray();
  for (const DestinationConfig& d : configs) {
    Pass pass;
    for (const std::string& segment : d.segments) {
      Status s = SyncSegment(d, segment, &pass);
      if (!s.ok()) {  // a segment dropped since, a store error: reported, the others go on
        Pass::Segment& r = pass.segments.back().segment == segment ? pass.segments.back() : pass.segments.emplace_back();
        r.segment = segment;
        r.error = s.ToString();
        r.pending = true;
      }
    }
    w.BeginObject().Key("name").String(d.name).Key("segments").BeginArray();
    for (const Pass::Segment& r : pass.segments) {
      w.BeginObject().Key("segment").String(r.segment).Key("sent").Uint(r.sent).Key("batches").Uint(r.batches);
      w.Key("entered").Uint(r.entered).Key("exited").Uint(r.exited).Key("retries").Uint(r.retries);
      w.Key("failures").Uint(r.failures).Key("dead_lettered").Uint(r.dead_lettered);
      w.Key("pending").Bool(r.pending).Key("lag").Uint(r.lag);
      if (!r.error.empty()) w.Key("error").String(r.error);
      w.EndObject();
    }
    w.EndArray().EndObject();
    last_pass_[d.name] = std::chrono::steady_clock::now();
  }
  w.EndArray().EndObject();
  return out;
}

bool Activation::BackoffWait(uint32_t ms) {
  if (hooks_.sleep_ms) {
    hooks_.sleep_ms(ms);
    return !interrupted_;
  }
  std::unique_lock<std::mutex> lock(wait_mu_);
  return !wait_cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return interrupted_.load(); });
}

void Activation::SetInterrupted(bool interrupted) {
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    interrupted_ = interrupted;
  }
  wait_cv_.notify_all();
}

Result<std::vector<std::string>> Activation::DueDestinations() {
  HOLO_ASSIGN_OR_RETURN(auto configs, Configs(""));
  const auto now = std::chrono::steady_clock::now();
  MutexLock lock(&mu_);
  std::vector<std::string> due;
  for (const DestinationConfig& d : configs) {
    if (d.sync_interval_s == 0) continue;
    auto it = last_pass_.find(d.name);
    if (it == last_pass_.end() || now - it->second >= std::chrono::seconds(d.sync_interval_s)) due.push_back(d.name);
  }
  return due;
}

Result<std::string> Activation::DropDestination(std::string_view name) {
  HOLO_ASSIGN_OR_RETURN(auto configs, Configs(name));  // kNotFound for an unknown name
  const DestinationConfig& d = configs.front();
  MutexLock lock(&mu_);
  uint64_t pending_events = 0;
  for (const std::string& segment : d.segments) {
    HOLO_ASSIGN_OR_RETURN(SegmentState st, LoadState(store_, d.name, segment));
    if (st.pending) pending_events += st.entered.cardinality() + st.exited.cardinality();
  }
  storage::WriteBatch batch(*store_);
  batch.Delete(Cf::kMeta, keys::DestinationConfigKey(d.name));
  const std::string states = keys::DestinationStatePrefix(d.name);
  batch.DeleteRange(Cf::kMeta, states, keys::PrefixSuccessor(states));
  HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  last_pass_.erase(d.name);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("name").String(d.name).Key("dropped").Bool(true).Key("pending_events").Uint(pending_events);
  w.Key("dead_letter_file").String(DeadLetterPath(d.name)).EndObject();
  return out;
}

Result<std::string> Activation::DestinationStatusJson(std::string_view name) {
  HOLO_ASSIGN_OR_RETURN(auto configs, Configs(name));
  MutexLock lock(&mu_);
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("destinations").BeginArray();
  for (const DestinationConfig& d : configs) {
    w.BeginObject().Key("name").String(d.name).Key("kind").String(d.kind).Key("use").String(d.use);
    w.Key("dead_letter_file").String(DeadLetterPath(d.name)).Key("segments").BeginArray();
    for (const std::string& segment : d.segments) {
      HOLO_ASSIGN_OR_RETURN(SegmentState st, LoadState(store_, d.name, segment));
      w.BeginObject().Key("segment").String(segment);
      auto now = hooks_.allowed_members(segment, d.use);
      if (now.ok()) {
        st.lag = (*now - st.synced).cardinality() + (st.synced - *now).cardinality();
        w.Key("lag").Uint(st.lag);
      } else {
        w.Key("lag").Null().Key("segment_error").String(now.status().ToString());
      }
      w.Key("synced_members").Uint(st.synced.cardinality()).Key("next_seq").Uint(st.seq);
      w.Key("sent").Uint(st.sent).Key("retries").Uint(st.retries).Key("failures").Uint(st.failures);
      w.Key("dead_lettered").Uint(st.dead_lettered);
      w.Key("last_success");
      if (st.last_success_ms) {
        w.String(FormatIso8601Ms(st.last_success_ms));
      } else {
        w.Null();
      }
      w.Key("pending");
      if (st.pending) {
        w.BeginObject().Key("seq").Uint(st.seq).Key("entered").Uint(st.entered.cardinality());
        w.Key("exited").Uint(st.exited.cardinality()).Key("attempts").Uint(st.attempts).EndObject();
      } else {
        w.Null();
      }
      if (!st.last_error.empty()) w.Key("last_error").String(st.last_error);
      w.EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

Result<std::string> Activation::DestinationMetricsText() {
  HOLO_ASSIGN_OR_RETURN(auto configs, Configs(""));
  struct Row {
    std::string labels;
    SegmentState st;
  };
  std::vector<Row> rows;
  for (const DestinationConfig& d : configs) {
    for (const std::string& segment : d.segments) {
      HOLO_ASSIGN_OR_RETURN(SegmentState st, LoadState(store_, d.name, segment));
      // Names are [A-Za-z0-9_.-]: nothing to escape in a label value.
      rows.push_back({"{destination=\"" + d.name + "\",segment=\"" + segment + "\"}", std::move(st)});
    }
  }
  std::string out;
  auto series = [&](const char* name, const char* type, const char* help, auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const Row& r : rows) out += name + r.labels + " " + std::to_string(value(r.st)) + "\n";
  };
  series("holo_destination_events_sent_total", "counter", "Audience events acknowledged by the destination.",
         [](const SegmentState& s) { return s.sent; });
  series("holo_destination_retries_total", "counter", "Batches sent again after a failed attempt.",
         [](const SegmentState& s) { return s.retries; });
  series("holo_destination_failures_total", "counter", "Failed delivery attempts.",
         [](const SegmentState& s) { return s.failures; });
  series("holo_destination_dead_lettered_total", "counter", "Audience events given up on (dead-letter file).",
         [](const SegmentState& s) { return s.dead_lettered; });
  series("holo_destination_lag", "gauge", "Members whose change is not yet acknowledged, as of the last sync pass.",
         [](const SegmentState& s) { return s.lag; });
  return out;
}

}  // namespace holo::activation
