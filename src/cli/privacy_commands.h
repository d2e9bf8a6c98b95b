// The privacy subcommands of `holo` (docs/privacy.md): consent, dsar, erase. main.cc adds them
// and runs them on an open engine.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "holo/engine.h"

namespace holo::cli {

class PrivacyCommands {
 public:
  void Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data);
  bool Parsed() const;
  // Runs the parsed command; returns the exit code (failures exit with one line).
  int Run(Engine& engine);

 private:
  CLI::App *consent_ = nullptr, *give_ = nullptr, *withdraw_ = nullptr, *show_ = nullptr, *policy_ = nullptr;
  CLI::App *erase_ = nullptr, *dsar_ = nullptr;
  std::vector<std::string> supplied_;
  std::string out_;
  bool compact_ = false;
  std::string id_, source_ = "cli", at_, policy_file_;
  std::vector<std::string> purposes_;
};

}  // namespace holo::cli
