// File: profile/trait_registry.h
//
// The one table of Holo's built-in traits: name, family, JSON type and how each is
// computed. The profile builder writes exactly these (a test checks every profile it
// builds against the table), the trait table and the serving look-ups type their values
// with it (a bool is served as true/false, not 1/0), `holo trait list --builtin` prints it,
// and docs/traits.md documents each entry (checked by the same test).
#pragma once

#include <string_view>
#include <vector>

namespace holo::profile {

enum class TraitType { kNumber, kBool, kString, kStringList };

// "number", "bool", "string", "string list".
std::string_view TraitTypeName(TraitType t);

struct TraitInfo {
  std::string_view name;
  std::string_view family;  // spending, affinity, location, travel, payments, interests, consent, ...
  TraitType type;
  std::string_view how;     // one line: what it is computed from
};

// Every built-in trait, in the order profiles write them; household_size (from the people
// graph, added to each trait-table row) last.
const std::vector<TraitInfo>& BuiltinTraits();
// nullptr for a name that is not a built-in trait (computed traits are user-defined).
const TraitInfo* FindBuiltinTrait(std::string_view name);

}  // namespace holo::profile
