// EngineImpl's phone regions (docs/identity.md, "Phone numbers"): per source, the region in
// which a phone number written without a country code is read (privacy::NormalizePhone).
// They are kept in meta (keys::kPhoneRegions) because they decide pseudonyms: the store, not
// each process that opens it, must say how its numbers were read. "*" is the store's default.
#include <simdjson.h>

#include "common/json_writer.h"
#include "engine/engine_impl.h"
#include "privacy/normalize.h"
#include "storage/store.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;

constexpr std::string_view kStoreDefault = "*";

// Checks one entry and returns its region in canonical form.
Result<std::string> CheckEntry(std::string_view source, std::string_view region) {
  if (source != kStoreDefault) HOLO_RETURN_IF_ERROR(ValidateSourceName(source, "phone regions"));
  Result<std::string> canonical = privacy::CanonicalPhoneRegion(region);
  if (!canonical.ok()) {
    return Status::InvalidArgument("phone regions: " + std::string(source) + ": " + canonical.status().message());
  }
  return canonical;
}

Result<std::map<std::string, std::string>> ParsePhoneRegions(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(json.data(), json.size()).get_object().get(obj)) {
    return Status::DataLoss("stored phone regions: expected a JSON object {\"source\": \"US\", ...}");
  }
  std::map<std::string, std::string> out;
  for (auto [source, region] : obj) {
    std::string_view r;
    if (region.get_string().get(r)) return Status::DataLoss("stored phone regions: " + std::string(source) + " is not a string");
    HOLO_ASSIGN_OR_RETURN(out[std::string(source)], CheckEntry(source, r));
  }
  return out;
}

std::string PhoneRegionsToJson(const std::map<std::string, std::string>& regions) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (const auto& [source, region] : regions) w.Key(source).String(region);
  w.EndObject();
  return out;
}

}  // namespace

Status EngineImpl::LoadPhoneRegions() {
  std::map<std::string, std::string> regions;
  HOLO_ASSIGN_OR_RETURN(auto stored, store_->Get(Cf::kMeta, keys::kPhoneRegions));
  if (stored.has_value()) {
    HOLO_ASSIGN_OR_RETURN(regions, ParsePhoneRegions(*stored));
  }
  bool changed = false;
  for (const auto& [source, region] : options_.phone_regions) {
    HOLO_ASSIGN_OR_RETURN(std::string canonical, CheckEntry(source, region));
    auto [it, inserted] = regions.try_emplace(source, canonical);
    if (inserted) {
      changed = true;
    } else if (it->second != canonical) {
      // Allowed (the operator said so), and documented: its national-form numbers stored
      // before pseudonymized as it->second numbers and no longer meet the new ones.
      it->second = canonical;
      changed = true;
    }
  }
  if (changed && !options_.read_only) {
    HOLO_RETURN_IF_ERROR(store_->Put(Cf::kMeta, keys::kPhoneRegions, PhoneRegionsToJson(regions), /*sync=*/true));
  }
  auto fallback = regions.extract(std::string(kStoreDefault));
  parser_options_.default_phone_region =
      fallback.empty() ? std::string(privacy::kDefaultPhoneRegion) : std::move(fallback.mapped());
  parser_options_.phone_region_by_source.clear();
  for (auto& [source, region] : regions) parser_options_.phone_region_by_source.emplace(source, std::move(region));
  return Status::OK();
}

Result<std::string> EngineImpl::PhoneRegionsJson() {
  std::map<std::string, std::string> regions(parser_options_.phone_region_by_source.begin(),
                                             parser_options_.phone_region_by_source.end());
  regions[std::string(kStoreDefault)] = parser_options_.default_phone_region;
  return PhoneRegionsToJson(regions);
}

}  // namespace holo::engine
