#include "engine/source_settings.h"

#include <simdjson.h>

#include "common/json_writer.h"
#include "engine/engine_impl.h"
#include "storage/store.h"

namespace holo::engine {
namespace {

Result<std::string> CheckEntry(std::string_view what, std::string_view source, std::string_view value,
                               const SourceSettingCheck& check) {
  if (source != kStoreDefaultSource) HOLO_RETURN_IF_ERROR(ValidateSourceName(source, what));
  Result<std::string> canonical = check(value);
  if (!canonical.ok()) {
    return Status::InvalidArgument(std::string(what) + ": " + std::string(source) + ": " + canonical.status().message());
  }
  return canonical;
}

}  // namespace

Result<SourceSettings> MergeSourceSettings(storage::Store* store, std::string_view key,
                                                               std::string_view what,
                                                               const SourceSettings& given,
                                                               bool read_only, const SourceSettingCheck& check) {
  SourceSettings settings;
  HOLO_ASSIGN_OR_RETURN(auto stored, store->Get(storage::Cf::kMeta, key));
  if (stored.has_value()) {
    simdjson::dom::parser parser;
    simdjson::dom::object obj;
    if (parser.parse(stored->data(), stored->size()).get_object().get(obj)) {
      return Status::DataLoss("stored " + std::string(what) + ": expected a JSON object {\"source\": \"...\", ...}");
    }
    for (auto [source, value] : obj) {
      std::string_view v;
      if (value.get_string().get(v)) {
        return Status::DataLoss("stored " + std::string(what) + ": " + std::string(source) + " is not a string");
      }
      HOLO_ASSIGN_OR_RETURN(settings[std::string(source)], CheckEntry(what, source, v, check));
    }
  }
  bool changed = false;
  for (const auto& [source, value] : given) {
    HOLO_ASSIGN_OR_RETURN(std::string canonical, CheckEntry(what, source, value, check));
    auto [it, inserted] = settings.try_emplace(source, canonical);
    if (inserted || it->second != canonical) {
      it->second = std::move(canonical);
      changed = true;
    }
  }
  if (changed && !read_only) {
    HOLO_RETURN_IF_ERROR(store->Put(storage::Cf::kMeta, key, SourceSettingsJson(settings), /*sync=*/true));
  }
  return settings;
}

std::string SourceSettingsJson(const SourceSettings& settings) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  for (const auto& [source, value] : settings) w.Key(source).String(value);
  w.EndObject();
  return out;
}

}  // namespace holo::engine
