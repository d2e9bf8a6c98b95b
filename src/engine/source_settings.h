// A per-source setting kept in meta as one JSON object {"source": "value", "*": "default"}
// (the phone regions, the IP policies): the store, not each process that opens it, says how
// its sources' messages are read. Options given at open are merged in and written back.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "holo/result.h"

namespace holo::storage {
class Store;
}  // namespace holo::storage

namespace holo::engine {

// source -> value ("*": the store's default).
using SourceSettings = std::map<std::string, std::string>;

// The key of the store's default in a setting's object.
inline constexpr std::string_view kStoreDefaultSource = "*";

// Checks one value and returns its canonical text.
using SourceSettingCheck = std::function<Result<std::string>(std::string_view value)>;

// The setting stored under meta `key` merged with `given` (each entry's source and value
// checked; `what` names the setting in errors), written back when `given` changed it and the
// store is writable. kDataLoss for a stored object that does not parse or check.
Result<SourceSettings> MergeSourceSettings(storage::Store* store, std::string_view key,
                                                               std::string_view what,
                                                               const SourceSettings& given,
                                                               bool read_only, const SourceSettingCheck& check);

// {"source": "value", ...}.
std::string SourceSettingsJson(const SourceSettings& settings);

}  // namespace holo::engine
