#include "engine/consent_index.h"

#include <algorithm>
#include <memory>

#include "identity/graph_store.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;

// Every ledger record of `node`, oldest first per purpose.
Status ReadLedger(storage::Cursor* it, const privacy::Pseudonym& node, std::vector<privacy::ConsentRecord>* out) {
  const std::string_view prefix(reinterpret_cast<const char*>(node.data()), node.size());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    privacy::ConsentRecord r;
    if (!privacy::DecodeConsent(it->key(), it->value(), &r)) return Status::DataLoss("corrupt consent record");
    out->push_back(std::move(r));
  }
  return it->status().WithContext("read consent ledger");
}

// LedgerOf through iterators over the graph and consent column families (one pair for many OneIDs).
Status LedgerThrough(storage::Cursor* graph, storage::Cursor* consent, uint64_t oneid,
                     std::vector<privacy::ConsentRecord>* out, size_t* members) {
  const std::string prefix = keys::MemberPrefix(oneid);
  size_t n = 0;
  for (graph->Seek(prefix); graph->Valid() && graph->key().starts_with(prefix); graph->Next()) {
    ++n;
    HOLO_RETURN_IF_ERROR(ReadLedger(consent, keys::ToKey16(graph->key().substr(prefix.size())), out));
  }
  if (members != nullptr) *members = n;
  return graph->status().WithContext("scan members");
}

}  // namespace

Status ConsentIndex::LedgerOf(uint64_t oneid, std::vector<privacy::ConsentRecord>* out, size_t* members) const {
  return LedgerThrough(store_->NewCursor(Cf::kGraph).get(), store_->NewCursor(Cf::kConsent).get(), oneid, out, members);
}

Status ConsentIndex::Ensure() {
  {
    ReaderLock lock(&mu_);
    if (loaded_) return Status::OK();
  }
  WriterLock lock(&mu_);
  if (loaded_) return Status::OK();
  std::unordered_map<uint64_t, privacy::PersonConsent> index;
  auto it = store_->NewCursor(Cf::kConsent);
  privacy::Pseudonym last{};
  uint64_t oneid = 0;
  bool first = true;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    privacy::ConsentRecord r;
    if (!privacy::DecodeConsent(it->key(), it->value(), &r)) return Status::DataLoss("corrupt consent record");
    if (first || r.node != last) {
      HOLO_ASSIGN_OR_RETURN(oneid, identity::LookupOneId(*store_, r.node));
      last = r.node;
      first = false;
    }
    if (oneid != 0) index[oneid].Fold(r);
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("load consent ledger"));
  index_ = std::move(index);
  loaded_ = true;
  return Status::OK();
}

void ConsentIndex::Invalidate() {
  WriterLock lock(&mu_);
  loaded_ = false;
}

Status ConsentIndex::Fold(const std::vector<privacy::ConsentRecord>& records) {
  {
    ReaderLock lock(&mu_);
    if (!loaded_) return Status::OK();  // the load will read them from the ledger
  }
  // The OneIDs are looked up before the readers are held off.
  std::vector<uint64_t> oneids;
  for (const privacy::ConsentRecord& r : records) {
    HOLO_ASSIGN_OR_RETURN(uint64_t oneid, identity::LookupOneId(*store_, r.node));
    oneids.push_back(oneid);
  }
  WriterLock lock(&mu_);
  for (size_t i = 0; i < records.size(); ++i) {
    if (oneids[i] != 0) index_[oneids[i]].Fold(records[i]);  // unresolved: folded when resolution places it
  }
  return Status::OK();
}

Status ConsentIndex::Refresh(const std::vector<uint64_t>& changed) {
  {
    ReaderLock lock(&mu_);
    if (!loaded_) return Status::OK();
  }
  // Read the ledger outside the lock (two iterators for all: after a burst of new
  // people this runs for tens of thousands of OneIDs), then swap the entries in.
  std::vector<std::pair<uint64_t, privacy::PersonConsent>> fresh;
  auto git = store_->NewCursor(Cf::kGraph);
  auto cit = store_->NewCursor(Cf::kConsent);
  std::vector<privacy::ConsentRecord> records;
  for (uint64_t oneid : changed) {
    records.clear();
    HOLO_RETURN_IF_ERROR(LedgerThrough(git.get(), cit.get(), oneid, &records, nullptr));
    privacy::PersonConsent p;
    for (const auto& r : records) p.Fold(r);
    fresh.emplace_back(oneid, std::move(p));
  }
  WriterLock lock(&mu_);
  for (auto& [oneid, p] : fresh) {
    bool any = std::any_of(p.purposes.begin(), p.purposes.end(), [](const auto& s) { return s.decided; });
    if (any) {
      index_[oneid] = std::move(p);
    } else {
      index_.erase(oneid);
    }
  }
  return Status::OK();
}

void ConsentIndex::Erase(uint64_t oneid) {
  WriterLock lock(&mu_);
  index_.erase(oneid);
}

Result<bool> ConsentIndex::Allows(uint64_t oneid, std::string_view use) {
  HOLO_RETURN_IF_ERROR(Ensure());
  ReaderLock lock(&mu_);
  auto it = index_.find(oneid);
  return policy_.Allows(it == index_.end() ? nullptr : &it->second, use);
}

Status ConsentIndex::CheckUse(std::string_view use) const {
  ReaderLock lock(&mu_);
  return policy_.Allows(nullptr, use).status();
}

bool ConsentIndex::Given(uint64_t oneid, size_t purpose) const {
  ReaderLock lock(&mu_);
  auto it = index_.find(oneid);
  return policy_.Given(it == index_.end() ? nullptr : &it->second, purpose);
}

std::array<bool, privacy::kPurposeCount> ConsentIndex::GivenAll(const privacy::PersonConsent& person) const {
  std::array<bool, privacy::kPurposeCount> out{};
  ReaderLock lock(&mu_);  // the policy may be replaced meanwhile
  for (size_t i = 0; i < privacy::kPurposeCount; ++i) out[i] = policy_.Given(&person, i);
  return out;
}

privacy::ConsentPolicy ConsentIndex::policy() const {
  ReaderLock lock(&mu_);
  return policy_;
}

void ConsentIndex::SetPolicy(privacy::ConsentPolicy policy) {
  WriterLock lock(&mu_);
  policy_ = std::move(policy);
}

}  // namespace holo::engine
