// EngineImpl's phone regions (docs/identity.md, "Phone numbers"): per source, the region in
// which a phone number written without a country code is read (privacy::NormalizePhone).
// They are kept in meta (keys::kPhoneRegions, engine/source_settings.h) because they decide
// pseudonyms: the store, not each process that opens it, must say how its numbers were read.
// "*" is the store's default. Changing a source's region is allowed (the operator said so)
// and documented: its national-form numbers stored before no longer meet the new ones.
#include "engine/engine_impl.h"
#include "engine/source_settings.h"
#include "privacy/normalize.h"

namespace holo::engine {

Status EngineImpl::LoadPhoneRegions() {
  HOLO_ASSIGN_OR_RETURN(SourceSettings regions,
                        MergeSourceSettings(store_.get(), storage::keys::kPhoneRegions, "phone regions",
                                            options_.phone_regions, options_.read_only,
                                            [](std::string_view r) { return privacy::CanonicalPhoneRegion(r); }));
  auto fallback = regions.extract(std::string(kStoreDefaultSource));
  parser_options_.default_phone_region =
      fallback.empty() ? std::string(privacy::kDefaultPhoneRegion) : std::move(fallback.mapped());
  parser_options_.phone_region_by_source.clear();
  for (auto& [source, region] : regions) parser_options_.phone_region_by_source.emplace(source, std::move(region));
  return Status::OK();
}

Result<std::string> EngineImpl::PhoneRegionsJson() {
  SourceSettings regions(parser_options_.phone_region_by_source.begin(),
                                             parser_options_.phone_region_by_source.end());
  regions[std::string(kStoreDefaultSource)] = parser_options_.default_phone_region;
  return SourceSettingsJson(regions);
}

}  // namespace holo::engine
