#include "profile/people_graph.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "common/coding.h"
#include "storage/keys.h"

namespace holo::profile {
namespace {

using storage::Cf;
namespace keys = storage::keys;

constexpr char kHousehold = 'H';
constexpr char kTeam = 'T';
constexpr char kCardOwner = 'F';
constexpr char kInviter = 'I';

bool IsShared(char kind) { return kind == kHousehold || kind == kTeam; }

std::string LinksKey(uint64_t oneid) {
  std::string k("l");
  coding::PutFixed64BE(&k, oneid);
  return k;
}
std::string SharedPrefix(char kind, std::string_view value) {
  std::string k("k");
  k.push_back(kind);
  k.append(value);
  k.push_back('\0');
  return k;
}
std::string RefPrefix(std::string_view ref_hex) {
  std::string k("r");
  k.append(ref_hex);
  k.push_back('\0');
  return k;
}

void PutCount(std::string* out, uint32_t n) { coding::PutVarint64(out, n); }
uint32_t GetCount(std::string_view v) {
  uint64_t n = 0;
  return coding::GetVarint64(&v, &n) ? static_cast<uint32_t>(n) : 0;
}

bool HexToKey16(std::string_view hex, keys::Key16* out) {
  if (hex.size() != 32) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < 16; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

Result<uint64_t> OneIdOfNode(const storage::Store& store, const keys::Key16& node) {
  HOLO_ASSIGN_OR_RETURN(auto v, store.Get(Cf::kGraph, keys::NodeOneIdKey(node)));
  if (!v.has_value() || v->size() != 8) return uint64_t{0};
  return coding::DecodeFixed64BE(v->data());
}

// Visits every key of `prefix` in the people column family.
template <typename Fn>
Status ScanPrefix(const storage::Store& store, std::string_view prefix, Fn&& fn) {
  auto it = store.NewCursor(Cf::kPeople);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    fn(it->key().substr(prefix.size()), it->value());
  }
  return it->status().WithContext("scan people index");
}

}  // namespace

std::string LinkSet::Encode() const {
  std::string out;
  for (const auto& [kind, vals] : values) {
    for (const auto& [value, count] : vals) {
      out.push_back(kind);
      coding::PutVarint64(&out, value.size());
      out.append(value);
      coding::PutVarint64(&out, count);
    }
  }
  return out;
}

bool LinkSet::Decode(std::string_view in, LinkSet* out) {
  out->values.clear();
  while (!in.empty()) {
    char kind = in[0];
    in.remove_prefix(1);
    uint64_t len, count;
    if (!coding::GetVarint64(&in, &len) || len > in.size()) return false;
    std::string value(in.substr(0, len));
    in.remove_prefix(len);
    if (!coding::GetVarint64(&in, &count)) return false;
    out->values[kind][std::move(value)] = static_cast<uint32_t>(count);
  }
  return true;
}

void LinkAccumulator::Add(const storage::EventRecord& ev) {
  const bool order = ev.event == "Order Completed";
  const bool team = ev.event == "Team Joined";
  const bool payment = ev.event == "Payment Made";
  if (!order && !team && !payment) return;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element props;
  if (parser.parse(ev.properties_json).get(props) != simdjson::SUCCESS || !props.is_object()) return;
  std::string_view v;
  if (order) {
    if (props["shipping_address"]["address_key"].get_string().get(v) == simdjson::SUCCESS && !v.empty()) {
      links_.values[kHousehold][std::string(v)]++;
    }
  } else if (team) {
    if (props["team_id"].get_string().get(v) == simdjson::SUCCESS && !v.empty()) {
      links_.values[kTeam][std::string(v)]++;
    }
    if (props["invited_by"].get_string().get(v) == simdjson::SUCCESS && v.size() == 32) {
      links_.values[kInviter][std::string(v)]++;
    }
  } else {
    std::string_view type;
    if (props["counterparty_type"].get_string().get(type) == simdjson::SUCCESS && type == "family_card" &&
        props["card_owner"].get_string().get(v) == simdjson::SUCCESS && v.size() == 32) {
      links_.values[kCardOwner][std::string(v)]++;
    }
  }
}

Status UpdateLinks(const storage::Store& store, uint64_t oneid, const LinkSet& links,
                   storage::WriteBatch* batch) {
  const std::string key = LinksKey(oneid);
  HOLO_ASSIGN_OR_RETURN(auto old_value, store.Get(Cf::kPeople, key));
  LinkSet old;
  if (old_value.has_value() && !LinkSet::Decode(*old_value, &old)) {
    return Status::DataLoss("corrupt people links of OneID " + std::to_string(oneid));
  }
  constexpr Cf cf = Cf::kPeople;
  std::string id8;
  coding::PutFixed64BE(&id8, oneid);
  auto index_key = [&](char kind, const std::string& value) {
    return (IsShared(kind) ? SharedPrefix(kind, value) : RefPrefix(value)) + id8;
  };
  for (const auto& [kind, vals] : old.values) {
    for (const auto& [value, count] : vals) batch->Delete(cf, index_key(kind, value));
  }
  if (links.empty()) {
    if (old_value.has_value()) batch->Delete(cf, key);
    return Status::OK();
  }
  for (const auto& [kind, vals] : links.values) {
    for (const auto& [value, count] : vals) {
      std::string v;
      if (!IsShared(kind)) v.push_back(kind);
      PutCount(&v, count);
      batch->Put(cf, index_key(kind, value), v);
    }
  }
  batch->Put(cf, key, links.Encode());
  return Status::OK();
}

const char* TieKindName(Tie::Kind kind) {
  switch (kind) {
    case Tie::Kind::kHousehold:
      return "household";
    case Tie::Kind::kFamily:
      return "family";
    case Tie::Kind::kFriend:
      return "friend";
  }
  return "?";
}

Result<std::vector<Tie>> PeopleOf(const storage::Store& store, uint64_t oneid, const PeopleOptions& options) {
  HOLO_ASSIGN_OR_RETURN(auto value, store.Get(Cf::kPeople, LinksKey(oneid)));
  LinkSet own;
  if (value.has_value() && !LinkSet::Decode(*value, &own)) {
    return Status::DataLoss("corrupt people links of OneID " + std::to_string(oneid));
  }
  std::map<std::pair<int, uint64_t>, Tie> ties;
  auto add = [&](Tie::Kind kind, uint64_t other, uint32_t n, std::string evidence) {
    if (other == 0 || other == oneid || n == 0) return;
    Tie& t = ties[{static_cast<int>(kind), other}];
    t.kind = kind;
    t.other = other;
    t.interactions += n;
    t.evidence.push_back(std::move(evidence));
  };
  // Shared values: household addresses and teams.
  for (char kind : {kHousehold, kTeam}) {
    auto vals = own.values.find(kind);
    if (vals == own.values.end()) continue;
    const uint32_t cap = kind == kHousehold ? options.max_household : options.max_team;
    for (const auto& [val, mine] : vals->second) {
      std::vector<std::pair<uint64_t, uint32_t>> others;
      HOLO_RETURN_IF_ERROR(ScanPrefix(store, SharedPrefix(kind, val), [&](std::string_view rest, std::string_view v) {
        if (rest.size() == 8) others.emplace_back(coding::DecodeFixed64BE(rest.data()), GetCount(v));
      }));
      if (others.size() > cap) continue;
      for (auto [other, theirs] : others) {
        if (kind == kHousehold) {
          add(Tie::Kind::kHousehold, other, mine + theirs,
              "shared delivery address (" + std::to_string(mine + theirs) + " orders)");
        } else {
          add(Tie::Kind::kFriend, other, 1, "same minigame team");
        }
      }
    }
  }
  // My references to others: card owner (family), inviter (friend).
  for (char kind : {kCardOwner, kInviter}) {
    auto vals = own.values.find(kind);
    if (vals == own.values.end()) continue;
    for (const auto& [ref, n] : vals->second) {
      keys::Key16 node;
      if (!HexToKey16(ref, &node)) continue;
      HOLO_ASSIGN_OR_RETURN(uint64_t other, OneIdOfNode(store, node));
      if (kind == kCardOwner) {
        add(Tie::Kind::kFamily, other, n, "pays with their family card (" + std::to_string(n) + " payments)");
      } else {
        add(Tie::Kind::kFriend, other, n, "was invited by them (" + std::to_string(n) + ")");
      }
    }
  }
  // Others' references to my identifiers.
  {
    std::vector<keys::Key16> members;
    const std::string prefix = keys::MemberPrefix(oneid);
    auto it = store.NewCursor(Cf::kGraph);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      members.push_back(keys::ToKey16(it->key().substr(prefix.size())));
    }
    HOLO_RETURN_IF_ERROR(it->status().WithContext("scan members"));
    for (const keys::Key16& node : members) {
      HOLO_RETURN_IF_ERROR(ScanPrefix(store, RefPrefix(keys::ToHex(node)), [&](std::string_view rest, std::string_view v) {
        if (rest.size() != 8 || v.size() < 2) return;
        uint64_t other = coding::DecodeFixed64BE(rest.data());
        uint32_t n = GetCount(v.substr(1));
        if (v[0] == kCardOwner) {
          add(Tie::Kind::kFamily, other, n, "uses my family card (" + std::to_string(n) + " payments)");
        } else if (v[0] == kInviter) {
          add(Tie::Kind::kFriend, other, n, "was invited by me (" + std::to_string(n) + ")");
        }
      }));
    }
  }
  std::vector<Tie> out;
  out.reserve(ties.size());
  for (auto& [k, t] : ties) {
    t.strength = 1.0 - std::exp(-static_cast<double>(t.interactions) / 3.0);
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const Tie& a, const Tie& b) {
    if (a.interactions != b.interactions) return a.interactions > b.interactions;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.other < b.other;
  });
  return out;
}

Result<uint32_t> HouseholdSize(const storage::Store& store, uint64_t oneid, const PeopleOptions& options) {
  HOLO_ASSIGN_OR_RETURN(auto ties, PeopleOf(store, oneid, options));
  uint32_t n = 1;
  for (const Tie& t : ties) n += t.kind == Tie::Kind::kHousehold;
  return n;
}

Result<std::unordered_map<uint64_t, uint32_t>> AllHouseholdSizes(const storage::Store& store,
                                                                  const PeopleOptions& options) {
  std::unordered_map<uint64_t, std::unordered_set<uint64_t>> partners;
  std::string current;  // the address key of `group`
  std::vector<uint64_t> group;
  auto flush = [&] {
    if (group.size() >= 2 && group.size() <= options.max_household) {
      for (uint64_t a : group) {
        for (uint64_t b : group) {
          if (a != b) partners[a].insert(b);
        }
      }
    }
    group.clear();
  };
  const std::string prefix = std::string("k") + kHousehold;
  HOLO_RETURN_IF_ERROR(ScanPrefix(store, prefix, [&](std::string_view rest, std::string_view) {
    if (rest.size() < 9 || rest[rest.size() - 9] != '\0') return;
    std::string_view value = rest.substr(0, rest.size() - 9);
    if (value != current) {
      flush();
      current.assign(value);
    }
    group.push_back(coding::DecodeFixed64BE(rest.data() + rest.size() - 8));
  }));
  flush();
  std::unordered_map<uint64_t, uint32_t> out;
  for (const auto& [id, set] : partners) out[id] = static_cast<uint32_t>(1 + set.size());
  return out;
}

}  // namespace holo::profile
