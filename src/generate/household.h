// household.h: builds one household in full (address, members with names, contacts, devices,
// accounts, cookies, affinities, and the shared tablet if any) from its skeleton.
#pragma once

#include <array>
#include <cstdint>

#include "generate/model.h"

namespace holo::generate {

inline constexpr std::array<std::string_view, 6> kGenres = {"drama",       "variety", "anime",
                                                            "documentary", "movie",   "sports"};

// Builds household `h`, whose first member is person `first_person`, into `*out`. Member i's
// ledger is `ledgers[i]`, reset to the person's id; the tablet's ledger is reset too.
// REQUIRES: ledgers->size() >= sk.size; the ledgers outlive *out's use.
void BuildHousehold(const World& world, uint64_t h, const HouseholdSkeleton& sk,
                    uint64_t first_person, std::array<EntityLedger, 5>* ledgers, Household* out);

// Returns how `app`'s SDK prints the hardware MAC it sends (formats differ across apps).
MacFormat AppMacFormat(Source app);

// Returns the hardware MAC of device slot `slot` (a person's k-th phone is slot 3 * person + k;
// tablets follow the phones). Unique for slot < 2^24.
uint64_t HardwareMac(uint64_t id_key, uint64_t slot, bool apple);

}  // namespace holo::generate
