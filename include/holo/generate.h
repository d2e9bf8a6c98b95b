// File: holo/generate.h
//
// The world generator: a synthetic population of Chinese consumers, their footprint across
// the apps, website and store sensors of a multi-app company, written as Segment-spec JSON
// Lines (one file per source, see shared/EVENTS.md), and the ground truth of which identifier
// belongs to whom. Deterministic: the same options give the same bytes.
//
//   holo::WorldOptions options;
//   options.persons = 10000;
//   options.out_dir = "/tmp/world";
//   holo::WorldStats stats;
//   holo::Status s = holo::GenerateWorld(options, &stats, [](uint64_t done, uint64_t total) {
//     std::fprintf(stderr, "\r%llu/%llu persons", (unsigned long long)done,
//                  (unsigned long long)total);
//   });
//   if (!s.ok()) return 1;
//
// Files written into out_dir:
//   <source>.jsonl for every name in GeneratedSources(); grouped by household, time-ordered
//                  within a household (not globally sorted);
//   truth.csv           source,identifier_type,identifier_value,person_id
//   truth_linkable.csv  the same rows, person_id = "PERSON#K" (components evidence supports);
//   persons.csv         the latent attributes of every person;
//   world.json          the options and the WorldStats.
// See src/generate/README.md for what is modelled and the identity-resolution traps.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "holo/status.h"

namespace holo {

struct WorldOptions {
  // Number of persons. Default: 50000. Must be in [1, 4000000].
  uint64_t persons = 50000;
  // World seed. Default: 42.
  uint64_t seed = 42;
  // Output directory, created if missing; existing files of the same names are overwritten.
  std::string out_dir;
  // Length of the simulated window in days, ending at end_date. Default: 90. In [1, 3660].
  int days = 90;
  // Exclusive end of the window, "YYYY-MM-DD" (00:00 UTC). Default: "2026-11-01".
  std::string end_date = "2026-11-01";
  // PII typo level in shipping addresses: 0 none, 1 realistic (default), 2 heavy.
  int noise = 1;
  // Foreign shapes: the same people are also sent through differently shaped feeds whose hub
  // identifiers belong to no person (store sensor ids as anonymousId, POS terminals, a
  // call-centre phone, couriers' phones, office wifi BSSIDs, IP addresses, family e-mails,
  // QA accounts, MACs in every common spelling), each a pseudo-entity of its own in the truth.
  // The test bed of shared-identifier rules on shapes Holo's own feeds never make. Default:
  // false (and with it off a world is the same bytes as without the option). See
  // src/generate/README.md "Foreign shapes".
  bool foreign_shapes = false;
};

struct WorldStats {
  uint64_t persons = 0;
  uint64_t households = 0;
  uint64_t phones = 0;                               // distinct personal phones
  uint64_t events = 0;                               // messages, all sources
  std::map<std::string, uint64_t> events_by_source;  // messages per source file
  std::map<std::string, uint64_t> accounts_by_app;   // persons with an account/install per app
  uint64_t truth_rows = 0;           // rows of truth.csv (= rows of truth_linkable.csv)
  uint64_t linkable_components = 0;  // distinct person_id values of truth_linkable.csv
  uint64_t shared_tablets = 0;       // households with a shared tablet
  uint64_t kiosks = 0;               // public terminals
  uint64_t kiosk_users = 0;          // persons who logged into a kiosk
  uint64_t isolated_persons = 0;     // one app, one phone, never logged in
  uint64_t membership_links = 0;     // persons who linked apps through the taobao programme
  uint64_t placeholder_ad_id_phones = 0;
  uint64_t randomizing_phones = 0;  // phones probing with per-visit randomized MACs
  uint64_t randomized_macs = 0;     // distinct randomized MACs probed (not in truth)
  // Hardware MACs probed by store_wifi sensors, and those of them that also appear in some
  // app message of the same person (what a retailer can link to an online account).
  uint64_t wifi_macs_seen = 0;
  uint64_t wifi_macs_linked = 0;
  uint64_t bytes_written = 0;  // all files

  // Foreign shapes (all 0 when WorldOptions::foreign_shapes is off; written to world.json only
  // when it is on). Each counts pseudo-entities of truth.csv, except the *_orders/logins.
  uint64_t foreign_sensors = 0;    // store sensors that send their own id as anonymousId
  uint64_t pos_terminals = 0;      // in-store POS terminals that took an order
  uint64_t in_store_orders = 0;    // Order Completed messages at a POS terminal
  uint64_t callcentre_orders = 0;  // orders carrying the call centre's phone
  uint64_t couriers = 0;           // eleme couriers who delivered at least one order
  uint64_t offices = 0;            // workplaces whose wifi BSSID was sent
  uint64_t home_ips = 0;           // household home IPs sent as an "ip" external id
  uint64_t nat_ips = 0;            // carrier NAT IPs sent as an "ip" external id
  uint64_t family_emails = 0;      // households whose members share a family e-mail
  uint64_t qa_accounts = 0;        // QA accounts logged in on customers' phones or test devices
  uint64_t qa_devices = 0;         // test devices
  uint64_t qa_logins = 0;          // QA logins on customers' phones

  // Returns wifi_macs_linked / wifi_macs_seen (0 when none were seen).
  double WifiLinkedRatio() const {
    return wifi_macs_seen == 0
               ? 0.0
               : static_cast<double>(wifi_macs_linked) / static_cast<double>(wifi_macs_seen);
  }
};

// Returns the source names GenerateWorld writes, in file order: taobao tmall alipay eleme amap
// fliggy youku weibo minigame web store_wifi store_beacon.
std::span<const std::string_view> GeneratedSources();

// Generates a world into options.out_dir. `stats` may be null. `progress`, if set, is called
// from the calling thread with (persons done, persons total) every few thousand persons and
// once at the end.
// Returns kInvalidArgument for bad options and kUnavailable for I/O errors.
Status GenerateWorld(const WorldOptions& options, WorldStats* stats,
                     std::function<void(uint64_t done, uint64_t total)> progress = {});

// Returns world.json's content: {"options":{...},"stats":{...}}. out_dir is left out, so a
// world's files are the same bytes wherever they are written.
std::string WorldJson(const WorldOptions& options, const WorldStats& stats);

}  // namespace holo
