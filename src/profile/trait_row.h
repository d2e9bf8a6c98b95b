// TraitRow: a profile's traits typed, as the segment trait table takes them. The profile
// rebuild writes one beside each profile's JSON (ProfileAccumulator::ToJson fills both from
// the same values), so audiences load typed rows and never parse profile JSON back.
//
//   TraitRow row;
//   std::string json = acc.ToJson(oneid, identifiers, as_of_ms, &row);
//   std::string stored = EncodeTraitRow(row);
//   TraitRow back;
//   if (!DecodeTraitRow(stored, &back)) ...  // DataLoss
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "holo/result.h"

namespace holo::profile {

// Missing (null), number (booleans are 0/1), text, or a list of texts: the same type as
// segment::TraitValue.
using TraitValue = std::variant<std::monostate, double, std::string, std::vector<std::string>>;
// name -> value, in the order the profile's "traits" object lists them.
using TraitRow = std::vector<std::pair<std::string, TraitValue>>;

// The stored form (segments column family, keys::TraitRowKey): a version byte, then per trait
// its name, a type tag and the value. Names are kept per row (the block compression takes their
// repetition), so a row read by another release still names its values.
std::string EncodeTraitRow(const TraitRow& row);
// Returns false for malformed input.
bool DecodeTraitRow(std::string_view in, TraitRow* row);

// The "traits" object of a profile's JSON as a typed row (numbers and booleans as numbers,
// strings, arrays of strings; null as missing): for stores written before typed rows, and for
// tests that check the two agree. Returns DataLoss for text that is not a profile object.
Result<TraitRow> TraitRowFromProfileJson(std::string_view json);

}  // namespace holo::profile
