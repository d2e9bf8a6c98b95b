#include "privacy/consent.h"

#include <algorithm>
#include <iterator>

#include <simdjson.h>

#include "common/coding.h"
#include "common/json_writer.h"

namespace holo::privacy {

std::optional<size_t> PurposeIndex(std::string_view name) {
  for (size_t i = 0; i < kPurposeCount; ++i) {
    if (kPurposes[i] == name) return i;
  }
  return std::nullopt;
}

std::string ConsentKey(const ConsentRecord& r) {
  std::string k(reinterpret_cast<const char*>(r.node.data()), r.node.size());
  k.push_back(static_cast<char>(r.purpose));
  coding::PutFixed64BE(&k, static_cast<uint64_t>(r.ts_ms) ^ (uint64_t{1} << 63));  // signed order
  coding::PutFixed64BE(&k, r.seq);
  return k;
}

std::string ConsentValue(const ConsentRecord& r) {
  std::string v(1, r.given ? '\1' : '\0');
  v += r.source;
  return v;
}

bool DecodeConsent(std::string_view key, std::string_view value, ConsentRecord* out) {
  if (key.size() != kPseudonymSize + 1 + 16 || value.empty()) return false;
  std::copy(key.begin(), key.begin() + kPseudonymSize, out->node.begin());
  out->purpose = static_cast<uint8_t>(key[kPseudonymSize]);
  if (out->purpose >= kPurposeCount) return false;
  out->ts_ms = static_cast<int64_t>(coding::DecodeFixed64BE(key.data() + kPseudonymSize + 1) ^ (uint64_t{1} << 63));
  out->seq = coding::DecodeFixed64BE(key.data() + kPseudonymSize + 9);
  out->given = value[0] != 0;
  out->source = std::string(value.substr(1));
  return true;
}

void PersonConsent::Fold(const ConsentRecord& r) {
  PurposeState& s = purposes[r.purpose];
  if (s.decided && (r.ts_ms < s.ts_ms || (r.ts_ms == s.ts_ms && r.seq < s.seq))) return;
  s.decided = true;
  s.given = r.given;
  s.ts_ms = r.ts_ms;
  s.seq = r.seq;
  s.source = r.source;
}

ConsentPolicy ConsentPolicy::Default() {
  ConsentPolicy p;
  p.uses["export"] = {*PurposeIndex("marketing")};
  p.uses["activation"] = {*PurposeIndex("personalization")};
  p.uses["recommendation"] = {*PurposeIndex("personalization")};
  p.uses["third_party_export"] = {*PurposeIndex("third_party"), *PurposeIndex("marketing")};
  p.uses["store_link"] = {*PurposeIndex("location")};
  return p;
}

Result<ConsentPolicy> ConsentPolicy::Parse(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root)) {
    return Status::InvalidArgument(std::string("consent policy: invalid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return Status::InvalidArgument("consent policy: expected a JSON object");
  ConsentPolicy p;
  for (auto [key, value] : obj) {
    if (key == "uses") {
      simdjson::dom::object uses;
      if (value.get_object().get(uses)) return Status::InvalidArgument("consent policy: \"uses\" must be an object");
      for (auto [use, purposes] : uses) {
        simdjson::dom::array list;
        if (purposes.get_array().get(list)) {
          return Status::InvalidArgument("consent policy: uses." + std::string(use) + " must be an array of purposes");
        }
        std::vector<size_t>& needed = p.uses[std::string(use)];
        for (simdjson::dom::element e : list) {
          std::string_view name;
          if (e.get_string().get(name)) return Status::InvalidArgument("consent policy: purposes are strings");
          auto i = PurposeIndex(name);
          if (!i) return Status::InvalidArgument("consent policy: uses." + std::string(use) + ": unknown purpose '" +
                                                 std::string(name) + "'");
          needed.push_back(*i);
        }
      }
    } else if (key == "defaults") {
      simdjson::dom::object defaults;
      if (value.get_object().get(defaults)) return Status::InvalidArgument("consent policy: \"defaults\" must be an object");
      for (auto [name, given] : defaults) {
        auto i = PurposeIndex(name);
        if (!i) return Status::InvalidArgument("consent policy: defaults: unknown purpose '" + std::string(name) + "'");
        bool b = false;
        if (given.get_bool().get(b)) return Status::InvalidArgument("consent policy: defaults." + std::string(name) + " must be true or false");
        p.defaults[*i] = b;
      }
    } else {
      return Status::InvalidArgument("consent policy: unknown key '" + std::string(key) + "' (expected uses, defaults)");
    }
  }
  return p;
}

std::string ConsentPolicy::ToJson() const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("uses").BeginObject();
  for (const auto& [use, purposes] : uses) {
    w.Key(use).BeginArray();
    for (size_t i : purposes) w.String(kPurposes[i]);
    w.EndArray();
  }
  w.EndObject().Key("defaults").BeginObject();
  for (size_t i = 0; i < kPurposeCount; ++i) w.Key(kPurposes[i]).Bool(defaults[i]);
  w.EndObject().EndObject();
  return out;
}

bool ConsentPolicy::Given(const PersonConsent* person, size_t purpose) const {
  if (person != nullptr && person->purposes[purpose].decided) return person->purposes[purpose].given;
  return defaults[purpose];
}

Result<bool> ConsentPolicy::Allows(const PersonConsent* person, std::string_view use) const {
  auto it = uses.find(std::string(use));
  if (it == uses.end()) return Status::NotFound("the consent policy names no use '" + std::string(use) + "'");
  for (size_t purpose : it->second) {
    if (!Given(person, purpose)) return false;
  }
  return true;
}

bool IsStoreTrait(std::string_view trait) {
  // The profile's "stores" family (profile/trait_registry.cc); a test keeps the two in step.
  static constexpr std::string_view kStoreTraits[] = {"store_visits_90d",      "stores_visited_90d",
                                                      "favourite_store",       "store_visit_frequency",
                                                      "last_store_visit",      "days_since_store_visit"};
  return std::find(std::begin(kStoreTraits), std::end(kStoreTraits), trait) != std::end(kStoreTraits);
}

bool IsStoreSighting(std::string_view event) { return event == "Probe Seen" || event == "Beacon Seen"; }

bool IsStoreIdentifierType(std::string_view type) { return type.find("@store_") != std::string_view::npos; }

}  // namespace holo::privacy
