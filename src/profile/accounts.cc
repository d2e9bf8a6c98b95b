#include "profile/accounts.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "common/coding.h"
#include "common/hex.h"
#include "common/json_writer.h"

namespace holo::profile {
namespace {

using storage::Cf;
namespace keys = storage::keys;
using keys::Key16;

constexpr uint8_t kGroupMessage = 6;  // ingest::MessageType::kGroup (a persisted value)


bool IsTraitKey(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

void PutString(std::string* out, std::string_view s) {
  coding::PutVarint64(out, s.size());
  out->append(s);
}
bool GetString(std::string_view* in, std::string* s) {
  uint64_t n;
  if (!coding::GetVarint64(in, &n) || n > in->size()) return false;
  s->assign(in->substr(0, n));
  in->remove_prefix(n);
  return true;
}
bool GetFixed64(std::string_view* in, int64_t* v) {
  if (in->size() < 8) return false;
  *v = static_cast<int64_t>(coding::DecodeFixed64BE(in->data()));
  in->remove_prefix(8);
  return true;
}
void PutFixed64(std::string* out, int64_t v) { coding::PutFixed64BE(out, static_cast<uint64_t>(v)); }

// The stored memberships from `seek` while their keys start with `prefix` (one account, or
// every account): fn(account, oneid, evidence) returns false to stop.
template <typename Fn>
Status ScanMembers(const storage::Store& store, std::string_view seek, std::string_view prefix, Fn&& fn) {
  auto it = store.NewCursor(Cf::kPeople);
  for (it->Seek(seek); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    const std::string_view key = it->key();
    if (key.size() != keys::kAccountMemberKeySize) continue;
    AccountEvidence ev;
    if (!AccountEvidence::Decode(it->value(), &ev)) return Status::DataLoss("corrupt account membership");
    if (!fn(keys::ToKey16(key.substr(1, 16)), coding::DecodeFixed64BE(key.data() + 17), ev)) break;
  }
  return it->status().WithContext("scan account memberships");
}

}  // namespace

std::string AccountEvidence::Encode() const {
  std::string out;
  PutFixed64(&out, first_seen);
  PutFixed64(&out, last_seen);
  coding::PutVarint64(&out, calls);
  coding::PutVarint64(&out, traits.size());
  for (const auto& [key, value] : traits) {
    PutString(&out, key);
    PutFixed64(&out, value.ts);
    PutString(&out, value.json);
  }
  return out;
}

bool AccountEvidence::Decode(std::string_view in, AccountEvidence* out) {
  *out = AccountEvidence();
  uint64_t n;
  if (!GetFixed64(&in, &out->first_seen) || !GetFixed64(&in, &out->last_seen) ||
      !coding::GetVarint64(&in, &out->calls) || !coding::GetVarint64(&in, &n)) {
    return false;
  }
  for (uint64_t i = 0; i < n; ++i) {
    std::string key;
    AccountTraitValue v;
    if (!GetString(&in, &key) || !GetFixed64(&in, &v.ts) || !GetString(&in, &v.json)) return false;
    out->traits[std::move(key)] = std::move(v);
  }
  return in.empty();
}

void AccountEvidence::Merge(const AccountEvidence& other) {
  if (other.calls == 0) return;
  if (calls == 0 || other.first_seen < first_seen) first_seen = other.first_seen;
  if (calls == 0 || other.last_seen > last_seen) last_seen = other.last_seen;
  calls += other.calls;
  for (const auto& [key, value] : other.traits) {
    auto it = traits.find(key);
    if (it == traits.end()) {
      traits.emplace(key, value);
    } else if (value.Beats(it->second)) {
      it->second = value;
    }
  }
}

void AccountAccumulator::Add(const storage::EventRecord& ev) {
  if (ev.msg_type != kGroupMessage) return;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element props;
  if (parser.parse(ev.properties_json).get(props) != simdjson::SUCCESS || !props.is_object()) return;
  std::string_view hex;
  Key16 account;
  if (props[storage::kGroupProperty].get_string().get(hex) != simdjson::SUCCESS || !hex::Decode(hex, account.data(), account.size())) return;
  AccountEvidence& a = accounts_[account];
  if (a.calls == 0 || ev.timestamp_ms < a.first_seen) a.first_seen = ev.timestamp_ms;
  if (a.calls == 0 || ev.timestamp_ms > a.last_seen) a.last_seen = ev.timestamp_ms;
  ++a.calls;
  simdjson::dom::object obj;  // bound first: a range-for over a temporary result's value dangles
  if (props.get_object().get(obj) != simdjson::SUCCESS) return;
  for (auto [key, value] : obj) {
    if (key.starts_with('$') || !IsTraitKey(key)) continue;
    AccountTraitValue v;
    v.ts = ev.timestamp_ms;
    switch (value.type()) {
      case simdjson::dom::element_type::STRING: {
        const std::string_view text = value.get_string().value_unsafe();
        if (text.empty() || text.size() > kMaxAccountTraitText) continue;
        JsonWriter::AppendQuoted(text, &v.json);
        break;
      }
      case simdjson::dom::element_type::DOUBLE:
        if (!std::isfinite(value.get_double().value_unsafe())) continue;
        v.json = simdjson::minify(value);
        break;
      case simdjson::dom::element_type::INT64:
      case simdjson::dom::element_type::UINT64:
      case simdjson::dom::element_type::BOOL:
        v.json = simdjson::minify(value);
        break;
      default:
        continue;  // null, objects and arrays are not account traits
    }
    auto it = a.traits.find(key);
    if (it == a.traits.end()) {
      if (a.traits.size() >= kMaxAccountTraits) continue;
      a.traits.emplace(std::string(key), std::move(v));
    } else if (v.Beats(it->second)) {
      it->second = std::move(v);
    }
  }
}

Result<std::vector<Key16>> AccountsOf(const storage::Store& store, uint64_t oneid) {
  std::vector<Key16> out;
  const std::string prefix = keys::AccountsOfPrefix(oneid);
  auto it = store.NewCursor(Cf::kPeople);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() == prefix.size() + 16) out.push_back(keys::ToKey16(it->key().substr(prefix.size())));
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan the accounts of a OneID"));
  return out;
}

Status UpdateAccounts(const storage::Store& store, uint64_t oneid, const AccountSet& accounts,
                      storage::WriteBatch* batch) {
  HOLO_ASSIGN_OR_RETURN(std::vector<Key16> old, AccountsOf(store, oneid));
  for (const Key16& account : old) {
    if (accounts.count(account)) continue;
    batch->Delete(Cf::kPeople, keys::AccountMemberKey(account, oneid));
    batch->Delete(Cf::kPeople, keys::AccountsOfKey(oneid, account));
  }
  for (const auto& [account, evidence] : accounts) {
    batch->Put(Cf::kPeople, keys::AccountMemberKey(account, oneid), evidence.Encode());
    if (!std::binary_search(old.begin(), old.end(), account)) {
      batch->Put(Cf::kPeople, keys::AccountsOfKey(oneid, account), "");
    }
  }
  return Status::OK();
}

Result<std::optional<Account>> ReadAccount(const storage::Store& store, const Key16& key) {
  Account a;
  a.key = key;
  const std::string prefix = keys::AccountMemberPrefix(key);
  HOLO_RETURN_IF_ERROR(ScanMembers(store, prefix, prefix, [&](const Key16&, uint64_t oneid, const AccountEvidence& ev) {
    a.members.push_back(oneid);
    a.merged.Merge(ev);
    return true;
  }));
  if (a.members.empty()) return std::optional<Account>();
  return std::optional<Account>(std::move(a));
}

Result<std::vector<Account>> ListAccounts(const storage::Store& store, const std::optional<Key16>& after,
                                          size_t limit, bool* more) {
  *more = false;
  std::vector<Account> out;
  const std::string prefix(1, keys::kAccountMemberTag);
  std::string seek = prefix;
  if (after.has_value()) seek = keys::PrefixSuccessor(keys::AccountMemberPrefix(*after));
  HOLO_RETURN_IF_ERROR(ScanMembers(store, seek, prefix, [&](const Key16& account, uint64_t oneid,
                                                             const AccountEvidence& ev) {
    if (out.empty() || out.back().key != account) {
      if (out.size() == limit) {
        *more = true;
        return false;
      }
      out.emplace_back();
      out.back().key = account;
    }
    out.back().members.push_back(oneid);
    out.back().merged.Merge(ev);
    return true;
  }));
  return out;
}

}  // namespace holo::profile
