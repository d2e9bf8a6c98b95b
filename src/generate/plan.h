// plan.h: phase 1 of world generation. Walks the household skeletons once and fills the
// compact, whole-population parts of World: per-person city/apps/flags, the friendship graph,
// the stores and the kiosks with their users. O(persons) small integers, no events.
#pragma once

#include <cstdint>
#include <vector>

#include "generate/model.h"

namespace holo::generate {

// Returns the skeleton of household `household`: a pure function of (seed, household), except
// that the size is capped at `persons_left`. Phase 1 and phase 2 both call it.
HouseholdSkeleton MakeSkeleton(uint64_t seed, uint64_t household, uint64_t persons_left);

// Fills world->plan, households, friends, stores, kiosks and kiosk_of.
// REQUIRES: world->options, seed, id_key and window are set.
void PlanWorld(World* world);

// Fills world->foreign (the foreign shapes' hubs: store sensors and POS terminals, couriers,
// offices, NAT IPs, the call centre, QA accounts and devices) from the Stream::kForeign*
// streams only. REQUIRES: PlanWorld(world) ran.
void PlanForeign(World* world);

// Returns consecutive cookie lifetimes of `min_days`..`max_days` covering the window.
std::vector<CookiePeriod> MakeCookiePeriods(Rng& rng, const Window& window, double min_days,
                                            double max_days);

// Returns the distance in km between two points (equirectangular approximation).
double DistanceKm(double lat1, double lon1, double lat2, double lon2);

// Returns a point around (lat, lon) with a normal spread of `sigma_km` per axis.
void Scatter(Rng& rng, double lat, double lon, double sigma_km, double* out_lat, double* out_lon);

}  // namespace holo::generate
