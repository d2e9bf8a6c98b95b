// The partner subcommands of `holo`: `partner match NAME --file F`, the partner clean room
// (docs/privacy.md, "Partner clean room"). main.cc adds them and runs them on an open engine.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "holo/engine.h"

namespace holo::cli {

class PartnerCommands {
 public:
  // `add_data` adds the shared --data option to a subcommand.
  void Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data);
  // True when one of these commands was given.
  bool Parsed() const;
  // Runs the parsed command; returns the exit code (failures exit with one line).
  int Run(Engine& engine);

 private:
  CLI::App *partner_ = nullptr, *match_ = nullptr;
  std::string name_, file_;
  bool json_ = false;
  Engine::GroupProfileOptions options_;
};

}  // namespace holo::cli
