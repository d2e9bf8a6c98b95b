// What both backends share: column-family names, the stats record and its merge,
// retention, and the Store methods built on the interface.
#include "storage/store.h"

#include <algorithm>
#include <iterator>

#include "common/coding.h"
#include "common/time_util.h"
#include "storage/event_record.h"

namespace holo::storage {
namespace {

constexpr std::string_view kCfNames[] = {"default", "meta",  "events", "dedupe",  "node_events",
                                          "nodes",   "edges", "graph",  "profiles",
                                          "people",  "segments", "consent", "vault", "event_index",
                                          "stores"};
static_assert(std::size(kCfNames) == static_cast<size_t>(Cf::kCount));

}  // namespace

std::string_view CfName(Cf cf) { return kCfNames[static_cast<int>(cf)]; }

std::string StatsRecord::Encode() const {
  std::string out;
  out.reserve(25 + tail.size());
  out.push_back(static_cast<char>(kind));
  coding::PutFixed64BE(&out, static_cast<uint64_t>(first_ts));
  coding::PutFixed64BE(&out, static_cast<uint64_t>(last_ts));
  coding::PutFixed64BE(&out, count);
  out += tail;
  return out;
}

bool StatsRecord::Decode(std::string_view in, StatsRecord* out) {
  if (in.size() < 25) return false;
  out->kind = static_cast<uint8_t>(in[0]);
  out->first_ts = static_cast<int64_t>(coding::DecodeFixed64BE(in.data() + 1));
  out->last_ts = static_cast<int64_t>(coding::DecodeFixed64BE(in.data() + 9));
  out->count = coding::DecodeFixed64BE(in.data() + 17);
  out->tail.assign(in.substr(25));
  return true;
}

bool StatsRecord::Merge(const std::string_view* existing, std::string_view operand, std::string* out) {
  StatsRecord add;
  if (!Decode(operand, &add)) return false;
  if (existing == nullptr) {
    out->assign(operand);
    return true;
  }
  StatsRecord cur;
  if (!Decode(*existing, &cur)) return false;
  cur.kind = std::max(cur.kind, add.kind);
  if (add.first_ts < cur.first_ts) {
    cur.first_ts = add.first_ts;
    cur.tail = std::move(add.tail);
  }
  cur.last_ts = std::max(cur.last_ts, add.last_ts);
  cur.count += add.count;
  *out = cur.Encode();
  return true;
}

void Retention::Set(std::map<std::string, int64_t> max_age_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  max_age_ms_.clear();
  for (auto& [k, v] : max_age_ms) max_age_ms_.emplace(k, v);
}

std::map<std::string, int64_t> Retention::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {max_age_ms_.begin(), max_age_ms_.end()};
}

bool Retention::empty() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_age_ms_.empty();
}

int64_t Retention::Now() const {
  const int64_t fixed = fixed_now_ms_.load();
  return fixed != 0 ? fixed : NowMs();
}

bool Retention::Expired(std::string_view source, int64_t timestamp_ms, int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = max_age_ms_.find(source);
  return it != max_age_ms_.end() && timestamp_ms < now_ms - it->second;
}

bool Retention::ExpiresRecord(std::string_view value) const {
  if (empty()) return false;
  int64_t ts = 0;
  std::string_view source;
  return DecodeEventHead(value, &ts, &source) && Expired(source, ts, Now());
}

Store::Store(std::string path, bool read_only)
    : retention_(std::make_shared<Retention>()), path_(std::move(path)), read_only_(read_only) {}

Store::~Store() = default;

Status Store::CheckWritable(std::string_view what) const {
  if (!read_only_) return Status::OK();
  return Status::FailedPrecondition("store " + path_ + " is open read-only: " + std::string(what) + " refused");
}

Status Store::Put(Cf c, std::string_view key, std::string_view value, bool sync) {
  WriteBatch batch(*this);
  batch.Put(c, key, value);
  return Write(&batch, sync);
}

Status Store::CompactAll() {
  for (int c = 0; c < static_cast<int>(Cf::kCount); ++c) HOLO_RETURN_IF_ERROR(Compact(static_cast<Cf>(c)));
  return Status::OK();
}

}  // namespace holo::storage
