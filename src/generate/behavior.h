// behavior.h: what people do. Simulates every member of a household over the window: logins
// and identifies on each phone's apps, shopping sessions (taobao, tmall, web), payments
// (alipay), food delivery (eleme), trips (amap), travel bookings (fliggy), video (youku),
// posts (weibo), games (minigame), campaign exposures, consents, store visits seen by wifi
// sensors and beacons, the household tablet and public kiosks. Messages go to the Emitter;
// identifiers to the owners' ledgers.
#pragma once

#include <cstdint>
#include <string>

#include "generate/emitter.h"
#include "generate/model.h"

namespace holo::generate {

// Counters the simulation adds to (merged into WorldStats by the caller).
struct SimCounters {
  uint64_t phones = 0;
  uint64_t placeholder_ad_id_phones = 0;
  uint64_t randomizing_phones = 0;
  uint64_t randomized_macs = 0;
  uint64_t wifi_macs_seen = 0;
  uint64_t wifi_macs_linked = 0;
  uint64_t kiosk_users = 0;
  uint64_t isolated_persons = 0;
  uint64_t membership_links = 0;
  uint64_t accounts_by_app[kNumApps] = {};
};

// Simulates household `hh` into `emitter`. Mutates kiosk ledgers in `world`. Appends the
// truth of every store visit and pass-by of the household's members (store_visits.csv rows,
// README "Store visit truth") to `store_visits`.
// `follow_ups` receives the truth of what the members' trips abroad led to (follow_ups.csv, README
// "Cross-domain truth").
void SimulateHousehold(World& world, Household& hh, Emitter& emitter, SimCounters* counters,
                       std::string* store_visits, std::string* follow_ups);

// Foreign shapes: the QA accounts' sessions on the test devices. REQUIRES: world.foreign.
void SimulateQaDevices(World& world, Emitter& emitter);

}  // namespace holo::generate
