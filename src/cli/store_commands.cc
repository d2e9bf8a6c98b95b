// holo stores import|list|occupancy|devices|metrics|flows|link-rate|configure: offline stores (docs/stores.md).
#include "cli/store_commands.h"

#include <simdjson.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <tuple>

#include "cli/cli_util.h"
#include "holo/stores.h"
#include "common/json_writer.h"
#include "stores/store_service.h"

namespace holo::cli {

void StoreCommands::Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data) {
  stores_ = app.add_subcommand("stores", "Offline stores: wifi probes and beacons, devices, occupancy");
  stores_->require_subcommand(1);
  // --data and --store; --from and --to.
  auto of_store = [&](CLI::App* c) {
    add_data(c);
    c->add_option("--store", store_, "Store id")->required();
  };
  auto in_range = [&](CLI::App* c) {
    c->add_option("--from", from_, "First instant (ISO-8601; no zone for a store whose clock has none)");
    c->add_option("--to", to_, "Last instant");
  };
  import_ = stores_->add_subcommand("import", "Import sensor files (sniffer CSV, Meraki v3 JSON, Probe/Beacon Seen events)");
  add_data(import_);
  import_->add_option("--store", store_, "Store id [A-Za-z0-9_.-]")->required();
  import_->add_option("files", files_, "Sensor files (format recognised by the header)")->required();
  AddJsonAlways(import_);
  list_ = stores_->add_subcommand("list", "The stores: sensor kind, observations, first and last");
  add_data(list_);
  AddJsonAlways(list_);
  occupancy_ = stores_->add_subcommand("occupancy", "People present per window (CSV: window_start,estimate)");
  of_store(occupancy_);
  occupancy_->add_option("--interval", interval_, "Window: 5m, 15m, 1h ... (dividing a day)")->capture_default_str();
  in_range(occupancy_);
  auto* csv = occupancy_->add_flag("--csv", csv_, "CSV: a header, then window_start,estimate rows (the default)");
  auto* json = occupancy_->add_flag("--json", json_, "Print one JSON object on stdout");
  csv->excludes(json);
  for (auto [name, about, report] : {
           std::tuple{"devices", "Physical devices seen, randomized MACs resolved", &StoreService::DevicesJson},
           std::tuple{"metrics", "Visitors, passers-by, capture and bounce, dwell, returning, peak hours, loyalty, zone flows",
                      &StoreService::MetricsJson},
           std::tuple{"flows", "Zone-to-zone moves within visits, and visits per zone", &StoreService::FlowsJson},
           std::tuple{"link-rate", "Store devices the identity graph ties to a person, and with location consent",
                      &StoreService::LinkRateJson}}) {
    CLI::App* c = stores_->add_subcommand(name, about);
    of_store(c);
    in_range(c);
    AddJsonAlways(c);
    reports_.push_back({c, report});
  }
  configure_ = stores_->add_subcommand("configure", "A store's definitions: RSSI threshold, visit gap, minimum visit");
  of_store(configure_);
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
    if (!occ->calibrated) {
      std::fprintf(stderr, "stores occupancy: no people-per-device calibration for this store's sensor kind: each "
                           "estimate is a count of visitor devices, not people (docs/stores.md)\n");
    }
    if (json_) {
      std::printf("%s\n", stores::OccupancyJson(store_, *occ).c_str());
    } else {
      const std::string out = stores::OccupancyCsv(*occ);
      std::fwrite(out.data(), 1, out.size(), stdout);
    }
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
  }
  for (const RangeReport& r : reports_) {
    if (!r.command->parsed()) continue;
    auto json = (engine.stores().*r.report)(store_, from_, to_);
    Check(json.status(), "stores " + r.command->get_name());
    std::printf("%s\n", json->c_str());
  }
  return 0;
}

Result<StoreSummary> DemoStoreSummary(Engine& engine, const std::string& world_dir) {
  const std::vector<std::string> files = {world_dir + "/store_wifi.jsonl", world_dir + "/store_beacon.jsonl"};
  std::map<std::string, uint64_t> per_store;
  for (const std::string& f : files) {
    std::ifstream in(f);
    std::string line;
    const std::string key = "\"store_id\":\"";
    while (std::getline(in, line)) {
      const size_t at = line.find(key);
      if (at == std::string::npos) continue;
      const size_t end = line.find('"', at + key.size());
      if (end != std::string::npos) ++per_store[line.substr(at + key.size(), end - at - key.size())];
    }
  }
  if (per_store.empty()) return Status::NotFound("the world has no store events");
  StoreSummary out;
  uint64_t most = 0;
  for (const auto& [store, n] : per_store) {
    if (n > most) most = n, out.store = store;
  }
  HOLO_RETURN_IF_ERROR(engine.stores().ImportStoreFiles(out.store, files).status());
  HOLO_ASSIGN_OR_RETURN(std::string metrics, engine.stores().MetricsJson(out.store, "", ""));
  HOLO_ASSIGN_OR_RETURN(std::string link, engine.stores().LinkRateJson(out.store, "", ""));
  simdjson::dom::parser parser, parser2;
  simdjson::dom::element m, l;
  if (parser.parse(metrics).get(m) || parser2.parse(link).get(l)) return Status::Internal("stores: unreadable report");
  auto num = [](simdjson::dom::element e, const char* k) {
    double v = 0;
    simdjson::dom::element x;
    if (!e[k].get(x)) {
      if (x.is_uint64()) v = static_cast<double>(x.get_uint64().value_unsafe());
      else if (x.is_double()) v = x.get_double().value_unsafe();
      else if (x.is_int64()) v = static_cast<double>(x.get_int64().value_unsafe());
    }
    return v;
  };
  simdjson::dom::element total = m["total"].value_unsafe();
  char line[512];
  std::snprintf(line, sizeof(line),
                "store     %s: %.0f visits (%.0f visitors, %.0f bounces), %.0f passers-by, capture %.0f%%, "
                "returning %.0f%%, median dwell %.0f min; %.0f of %.0f identifying devices linked to a person (%.0f%%)",
                out.store.c_str(), num(total, "visits"), num(total, "visitors"), num(total, "bounces"),
                num(total, "passers_by"), 100 * num(total, "capture_rate"), 100 * num(total, "returning_share"),
                num(total, "median_dwell_min"), num(l, "linked"), num(l, "devices"), 100 * num(l, "link_rate"));
  out.text = line;
  std::string json;
  JsonWriter w(&json);
  w.BeginObject().Key("store").String(out.store).Key("metrics").RawValue(metrics).Key("link").RawValue(link).EndObject();
  out.json = std::move(json);
  return out;
}

}  // namespace holo::cli
