// The offline-store subcommands of `holo`: `stores import|list|occupancy|devices|metrics|flows|link-rate|configure`
// (docs/stores.md). main.cc adds them and runs them on an open engine.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "holo/engine.h"
#include "holo/stores.h"

namespace holo::cli {

class StoreCommands {
 public:
  // `add_data` adds the shared --data option to a subcommand.
  void Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data);
  // True when one of these commands was given.
  bool Parsed() const;
  // True for `stores import`, which creates the data directory like `holo ingest`.
  bool Importing() const { return import_->parsed(); }
  // Runs the parsed command; returns the exit code (failures exit with one line).
  int Run(Engine& engine);

 private:
  CLI::App *stores_ = nullptr, *import_ = nullptr, *list_ = nullptr, *occupancy_ = nullptr, *configure_ = nullptr;
  // The reports of one store over --from/--to, printed as the service's JSON: devices,
  // metrics, flows, link-rate.
  struct RangeReport {
    CLI::App* command;
    Result<std::string> (StoreService::*report)(std::string_view, std::string_view, std::string_view);
  };
  std::vector<RangeReport> reports_;
  std::string store_, from_, to_, interval_ = "5m", visit_gap_, min_visit_;
  int rssi_min_ = StoreSettings::kKeep;
  std::vector<std::string> files_;
  bool csv_ = false, json_ = false;
};

// The demo's store step: the busiest store of a generated world (by Probe/Beacon Seen
// events in its store_wifi.jsonl and store_beacon.jsonl) imported and summarised: `text`,
// one line for people; `json`, {"store", "observations", "metrics": {...total...},
// "link_rate"}. Fails when the world has no store events.
struct StoreSummary {
  std::string store, text, json;
};
Result<StoreSummary> DemoStoreSummary(Engine& engine, const std::string& world_dir);

}  // namespace holo::cli
