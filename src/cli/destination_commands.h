// The destination subcommands of `holo`: `destination add|list|sync|status|drop`, activation
// destinations (docs/destinations.md). main.cc adds them and runs them on an open engine.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "holo/destinations.h"
#include "holo/engine.h"

namespace holo::cli {

class DestinationCommands {
 public:
  // `add_data` adds the shared --data option to a subcommand.
  void Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data);
  // True when one of these commands was given.
  bool Parsed() const;
  // Runs the parsed command; returns the exit code (failures exit with one line).
  int Run(Engine& engine);

 private:
  CLI::App *dest_ = nullptr, *add_ = nullptr, *list_ = nullptr, *sync_ = nullptr, *status_ = nullptr,
          *drop_ = nullptr;
  std::string name_, webhook_, file_;
  std::vector<std::string> segments_;
  DestinationConfig config_;
};

}  // namespace holo::cli
