// EngineImpl: accounts (B2B), the companies Segment `group` calls name (profile/accounts.h
// keeps them with the profiles; docs/traits.md, "Accounts").
#include <algorithm>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "engine/engine_impl.h"
#include "ingest/message.h"
#include "profile/accounts.h"
#include "storage/keys.h"

namespace holo::engine {
namespace {

namespace keys = storage::keys;

constexpr size_t kMaxAccountsPage = 1000;

bool IsKeyHex(std::string_view s) {
  if (s.size() != 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<keys::Key16> KeyOfHex(std::string_view hex) {
  HOLO_ASSIGN_OR_RETURN(privacy::Pseudonym p, privacy::PseudonymFromHex(hex));
  keys::Key16 k;
  std::copy(p.begin(), p.end(), k.begin());
  return k;
}

void WriteTraits(const profile::AccountEvidence& merged, JsonWriter* w) {
  w->Key("traits").BeginObject();
  for (const auto& [name, value] : merged.traits) w->Key(name).RawValue(value.json);
  w->EndObject();
  w->Key("trait_times").BeginObject();
  for (const auto& [name, value] : merged.traits) w->Key(name).String(FormatIso8601Ms(value.ts));
  w->EndObject();
}

}  // namespace

Result<std::string> EngineImpl::AccountProfileJson(std::string_view account) {
  keys::Key16 key;
  std::string_view group_id, ns;
  std::string canonical_ns;
  if (IsKeyHex(account)) {
    HOLO_ASSIGN_OR_RETURN(key, KeyOfHex(account));
  } else {
    const size_t colon = account.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == account.size()) {
      return Status::InvalidArgument("expected an account as NAMESPACE:GROUP_ID or its 32-hex key, got '" +
                                     std::string(account.substr(0, 64)) + "'");
    }
    ns = account.substr(0, colon);
    group_id = account.substr(colon + 1);
    // A source's name stands for its namespace, as in user_id@<source>.
    auto it = parser_options_.source_namespace.find(std::string(ns));
    canonical_ns = it == parser_options_.source_namespace.end() ? std::string(ns) : it->second;
    const privacy::Pseudonym p = pseudonymizer_.Hash(ingest::GroupIdType(canonical_ns), group_id);
    std::copy(p.begin(), p.end(), key.begin());
  }
  HOLO_ASSIGN_OR_RETURN(std::optional<profile::Account> found, profile::ReadAccount(*store_, key));
  if (!found.has_value()) return Status::NotFound("no account " + std::string(account.substr(0, 128)));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("account").String(keys::ToHex(key));
  w.Key("group_id");
  group_id.empty() ? w.Null() : w.String(group_id);
  w.Key("namespace");
  canonical_ns.empty() ? w.Null() : w.String(canonical_ns);
  WriteTraits(found->merged, &w);
  w.Key("members").BeginArray();
  for (uint64_t oneid : found->members) w.Uint(oneid);
  w.EndArray();
  w.Key("member_count").Uint(found->members.size());
  w.Key("calls").Uint(found->merged.calls);
  w.Key("first_seen").String(FormatIso8601Ms(found->merged.first_seen));
  w.Key("last_seen").String(FormatIso8601Ms(found->merged.last_seen));
  w.EndObject();
  return out;
}

Result<std::string> EngineImpl::ListAccountsJson(std::string_view cursor, size_t limit) {
  std::optional<keys::Key16> after;
  if (!cursor.empty()) {
    if (!IsKeyHex(cursor)) return Status::InvalidArgument("cursor must be an account key (32 hex digits)");
    HOLO_ASSIGN_OR_RETURN(after, KeyOfHex(cursor));
  }
  limit = std::clamp<size_t>(limit, 1, kMaxAccountsPage);
  bool more = false;
  HOLO_ASSIGN_OR_RETURN(std::vector<profile::Account> accounts, profile::ListAccounts(*store_, after, limit, &more));
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("accounts").BeginArray();
  for (const profile::Account& a : accounts) {
    w.BeginObject();
    w.Key("account").String(keys::ToHex(a.key));
    w.Key("name");
    auto name = a.merged.traits.find("name");
    name == a.merged.traits.end() ? w.Null() : w.RawValue(name->second.json);
    w.Key("member_count").Uint(a.members.size());
    w.Key("calls").Uint(a.merged.calls);
    w.Key("last_seen").String(FormatIso8601Ms(a.merged.last_seen));
    w.EndObject();
  }
  w.EndArray();
  w.Key("next");
  more && !accounts.empty() ? w.String(keys::ToHex(accounts.back().key)) : w.Null();
  w.EndObject();
  return out;
}

}  // namespace holo::engine
