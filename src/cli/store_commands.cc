// holo stores import|list|occupancy|devices|metrics|link-rate|configure: offline stores (docs/stores.md).
#include "cli/store_commands.h"

#include <cstdio>
#include <tuple>

#include "cli/cli_util.h"
#include "holo/stores.h"
#include "stores/store_service.h"

namespace holo::cli {

void StoreCommands::Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data) {
  stores_ = app.add_subcommand("stores", "Offline stores: wifi probes and beacons, devices, occupancy");
  stores_->require_subcommand(1);
  import_ = stores_->add_subcommand("import", "Import sensor files (sniffer CSV, Meraki v3 JSON, Probe/Beacon Seen events)");
  add_data(import_);
  import_->add_option("--store", store_, "Store id [A-Za-z0-9_.-]")->required();
  import_->add_option("files", files_, "Sensor files (format recognised by the header)")->required();
  AddJsonAlways(import_);
  list_ = stores_->add_subcommand("list", "The stores: sensor kind, observations, first and last");
  add_data(list_);
  AddJsonAlways(list_);
  occupancy_ = stores_->add_subcommand("occupancy", "People present per window (CSV: window_start,estimate)");
  add_data(occupancy_);
  occupancy_->add_option("--store", store_, "Store id")->required();
  occupancy_->add_option("--interval", interval_, "Window: 5m, 15m, 1h ... (dividing a day)")->capture_default_str();
  occupancy_->add_option("--from", from_, "First instant (ISO-8601; no zone for a zone-less store)");
  occupancy_->add_option("--to", to_, "Last instant");
  auto* csv = occupancy_->add_flag("--csv", csv_, "CSV: a header, then window_start,estimate rows (the default)");
  auto* json = occupancy_->add_flag("--json", json_, "Print one JSON object on stdout");
  csv->excludes(json);
  devices_ = stores_->add_subcommand("devices", "Physical devices seen, randomized MACs resolved");
  add_data(devices_);
  devices_->add_option("--store", store_, "Store id")->required();
  devices_->add_option("--from", from_, "First instant");
  devices_->add_option("--to", to_, "Last instant");
  AddJsonAlways(devices_);
  metrics_ = stores_->add_subcommand("metrics",
                                     "Visitors, passers-by, capture and bounce, dwell, returning, peak hours, loyalty, zone flows");
  add_data(metrics_);
  metrics_->add_option("--store", store_, "Store id")->required();
  metrics_->add_option("--from", from_, "First instant");
  metrics_->add_option("--to", to_, "Last instant");
  AddJsonAlways(metrics_);
  link_rate_ = stores_->add_subcommand("link-rate",
                                       "Store devices the identity graph ties to a person, and with location consent");
  add_data(link_rate_);
  link_rate_->add_option("--store", store_, "Store id")->required();
  link_rate_->add_option("--from", from_, "First instant");
  link_rate_->add_option("--to", to_, "Last instant");
  AddJsonAlways(link_rate_);
  configure_ = stores_->add_subcommand("configure", "A store's definitions: RSSI threshold, visit gap, minimum visit");
  add_data(configure_);
  configure_->add_option("--store", store_, "Store id")->required();
  configure_->add_option("--rssi-min", rssi_min_, "Visitor at or above this RSSI (dBm), passer-by below (default -70)");
  configure_->add_option("--visit-gap", visit_gap_, "A visit ends after this long unseen (default 15m)");
  configure_->add_option("--min-visit", min_visit_, "A visitor stays at least this long (default 5m)");
  AddJsonAlways(configure_);
}

bool StoreCommands::Parsed() const { return stores_->parsed(); }

int StoreCommands::Run(Engine& engine) {
  if (import_->parsed()) {
    auto report = engine.stores().ImportStoreFiles(store_, files_);
    Check(report.status(), "stores import");
    std::printf("%s\n", report->c_str());
  } else if (list_->parsed()) {
    auto json = engine.stores().ListStoresJson();
    Check(json.status(), "stores list");
    std::printf("%s\n", json->c_str());
  } else if (occupancy_->parsed()) {
    const int64_t interval = stores::ParseDurationSeconds(interval_);
    if (interval < 0) Fail("stores occupancy: --interval must be like 5m, 15m, 1h or 300s, got '" + interval_ + "'");
    auto occ = engine.stores().Occupancy(store_, from_, to_, interval);
    Check(occ.status(), "stores occupancy");
    if (json_) {
      std::printf("%s\n", stores::OccupancyJson(store_, *occ).c_str());
    } else {
      const std::string out = stores::OccupancyCsv(*occ);
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
  } else if (metrics_->parsed()) {
    auto json = engine.stores().MetricsJson(store_, from_, to_);
    Check(json.status(), "stores metrics");
    std::printf("%s\n", json->c_str());
  } else if (link_rate_->parsed()) {
    auto json = engine.stores().LinkRateJson(store_, from_, to_);
    Check(json.status(), "stores link-rate");
    std::printf("%s\n", json->c_str());
  } else if (configure_->parsed()) {
    StoreSettings settings;
    settings.rssi_min_dbm = rssi_min_;
    for (auto [text, out, name] : {std::tuple{&visit_gap_, &settings.visit_gap_s, "--visit-gap"},
                                   std::tuple{&min_visit_, &settings.min_visit_s, "--min-visit"}}) {
      if (text->empty()) continue;
      *out = stores::ParseDurationSeconds(*text);
      if (*out < 0) Fail(std::string("stores configure: ") + name + " must be like 15m or 300s, got '" + *text + "'");
    }
    auto json = engine.stores().ConfigureStore(store_, settings);
    Check(json.status(), "stores configure");
    std::printf("%s\n", json->c_str());
  } else if (devices_->parsed()) {
    auto json = engine.stores().DevicesJson(store_, from_, to_);
    Check(json.status(), "stores devices");
    std::printf("%s\n", json->c_str());
  }
  return 0;
}

}  // namespace holo::cli
