#include "analytics/release_point.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>

#include "analytics/group_profile.h"
#include "common/coding.h"
#include "common/time_util.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::analytics {
namespace {

using storage::Cf;
namespace keys = storage::keys;

// Groups kept in each log (released, sealed): the newest.
constexpr uint64_t kKeep = 1000;
// meta: the sequences of the two logs.
constexpr std::string_view kSealedSeq = "seq/sealed_groups";
constexpr std::string_view kReleasedSeq = "seq/gpq";
constexpr std::string_view kSealedWhy =
    "the group is, or is within k of, a cell withheld earlier so that it could not be derived";

std::string SerializeBitmap(const Roaring& r) {
  std::string out(r.getSizeInBytes(true), '\0');
  r.write(out.data(), true);
  return out;
}

Result<Roaring> ParseBitmap(std::string_view bytes) {
  try {
    return Roaring::readSafe(bytes.data(), bytes.size());
  } catch (const std::exception& e) {
    return Status::DataLoss(std::string("corrupt bitmap: ") + e.what());
  }
}

// Every bitmap stored under segments `tag`.
Result<std::vector<Roaring>> ReadLog(const storage::Store& store, char tag, std::string_view what) {
  std::vector<Roaring> out;
  auto it = store.NewCursor(Cf::kSegments);
  const std::string prefix = keys::SegmentsKey(tag, "");
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    HOLO_ASSIGN_OR_RETURN(Roaring r, ParseBitmap(it->value()));
    out.push_back(std::move(r));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext(what));
  return out;
}

}  // namespace

ReleasePoint::ReleasePoint(storage::Store* store) : store_(store) {}

Result<std::vector<Roaring>> ReleasePoint::LoadLog() const {
  return ReadLog(*store_, keys::kGroupLogTag, "scan the released groups");
}

Result<const std::vector<Roaring>*> ReleasePoint::Sealed() {
  if (!sealed_loaded_) {
    HOLO_ASSIGN_OR_RETURN(sealed_, ReadLog(*store_, keys::kSealedGroupTag, "scan the sealed groups"));
    sealed_loaded_ = true;
  }
  return &sealed_;
}

Status ReleasePoint::Append(char tag, const std::string& seq_key, const Roaring& group) {
  HOLO_ASSIGN_OR_RETURN(auto seq_value, store_->Get(Cf::kMeta, seq_key));
  uint64_t seq = seq_value.has_value() && seq_value->size() == 8 ? coding::DecodeFixed64BE(seq_value->data()) : 0;
  ++seq;
  storage::WriteBatch batch(*store_);
  std::string k(1, tag);
  coding::PutFixed64BE(&k, seq);
  batch.Put(Cf::kSegments, k, SerializeBitmap(group));
  std::string v;
  coding::PutFixed64BE(&v, seq);
  batch.Put(Cf::kMeta, seq_key, v);
  if (seq > kKeep) {
    std::string old(1, tag);
    coding::PutFixed64BE(&old, seq - kKeep);
    batch.Delete(Cf::kSegments, old);
  }
  return store_->Write(&batch, true);
}

Status ReleasePoint::Run(const std::function<Status(Session&)>& fn) {
  MutexLock lock(&mu_);
  HOLO_ASSIGN_OR_RETURN(std::vector<Roaring> previous, LoadLog());
  Session session(this, std::move(previous));
  return fn(session);
}

Status ReleasePoint::Session::CheckSealed(const Roaring& group, uint32_t k) {
  point_->mu_.AssertHeld();  // sessions exist only inside Run
  HOLO_ASSIGN_OR_RETURN(const std::vector<Roaring>* sealed, point_->Sealed());
  for (const Roaring& w : *sealed) {
    if (group.xor_cardinality(w) < k) return Status::FailedPrecondition(std::string(kSealedWhy));
  }
  return Status::OK();
}

Status ReleasePoint::Session::Log(const Roaring& group) {
  point_->mu_.AssertHeld();
  if (std::any_of(previous_.begin(), previous_.end(), [&](const Roaring& r) { return r == group; })) {
    return Status::OK();
  }
  HOLO_RETURN_IF_ERROR(point_->Append(keys::kGroupLogTag, std::string(kReleasedSeq), group));
  previous_.push_back(group);
  return Status::OK();
}

Status ReleasePoint::Session::Seal(const Roaring& group) {
  point_->mu_.AssertHeld();
  HOLO_RETURN_IF_ERROR(point_->Sealed().status());
  HOLO_RETURN_IF_ERROR(point_->Append(keys::kSealedGroupTag, std::string(kSealedSeq), group));
  point_->sealed_.push_back(group);
  if (point_->sealed_.size() > kKeep) point_->sealed_.erase(point_->sealed_.begin());
  return Status::OK();
}

Result<Released> ReleasePoint::Session::Release(const Roaring& group, const ReleaseOptions& options) {
  Released out;
  if (options.k < kMinK) {
    return Status::InvalidArgument("minimum group size k=" + std::to_string(options.k) + " is below the floor of " +
                                   std::to_string(kMinK));
  }
  const uint64_t n = group.cardinality();
  if (n < options.k) {
    out.withheld = "fewer than k=" + std::to_string(options.k);
    return out;
  }
  std::vector<const Roaring*> prev;
  for (const Roaring& r : previous_) prev.push_back(&r);
  if (Status d = CheckDifferencing(group, prev, options.k); !d.ok()) {
    out.withheld = d.message();
    return out;
  }
  if (Status sealed = CheckSealed(group, options.k); !sealed.ok()) {
    if (sealed.code() != StatusCode::kFailedPrecondition) return sealed;
    out.withheld = sealed.message();
    return out;
  }
  if (options.epsilon > 0) {
    HOLO_RETURN_IF_ERROR(point_->SpendBudget(options.budget_owner, options.budget, options.epsilon));
    std::mt19937_64 rng(std::random_device{}());
    out.count = static_cast<uint64_t>(
        std::max(0.0, std::round(static_cast<double>(n) + Laplace(rng, 1.0 / options.epsilon))));
    out.epsilon = options.epsilon;
  } else {
    out.count = n;
  }
  HOLO_RETURN_IF_ERROR(Log(group));
  return out;
}

Status ReleasePoint::SpendBudget(const std::string& owner, double budget, double epsilon) {
  MutexLock lock(&budget_mu_);
  const std::string day = FormatIso8601Ms(NowMs()).substr(0, 10);
  const std::string key = "budget/" + owner + "/" + day;
  HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kMeta, key));
  double spent = v.has_value() ? std::strtod(v->c_str(), nullptr) : 0;
  if (spent + epsilon > budget + 1e-9) {
    return Status(StatusCode::kResourceExhausted,
                  "the privacy budget of '" + owner + "' for " + day + " (UTC) is spent: " + std::to_string(spent) +
                      " of " + std::to_string(budget) + " epsilon used, this query needs " + std::to_string(epsilon));
  }
  return store_->Put(Cf::kMeta, key, std::to_string(spent + epsilon), /*sync=*/true);
}

Status ReleasePoint::Forget(uint64_t oneid) {
  MutexLock lock(&mu_);
  storage::WriteBatch batch(*store_);
  auto it = store_->NewCursor(Cf::kSegments);
  for (char tag : {keys::kGroupLogTag, keys::kSealedGroupTag}) {  // released groups, sealed groups
    const std::string prefix(1, tag);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      HOLO_ASSIGN_OR_RETURN(Roaring r, ParseBitmap(it->value()));
      if (!r.contains(static_cast<uint32_t>(oneid))) continue;
      r.remove(static_cast<uint32_t>(oneid));
      batch.Put(Cf::kSegments, it->key(), SerializeBitmap(r));
    }
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan the released groups"));
  for (Roaring& r : sealed_) r.remove(static_cast<uint32_t>(oneid));
  return store_->Write(&batch, /*sync=*/false);
}

}  // namespace holo::analytics
