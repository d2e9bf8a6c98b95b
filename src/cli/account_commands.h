// The account subcommands of `holo`: account show, account list (accounts, B2B: the companies
// Segment group calls name; docs/traits.md, "Accounts"). main.cc adds them and runs them on an
// open engine.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "holo/engine.h"

namespace holo::cli {

class AccountCommands {
 public:
  // `add_data` adds the shared --data option to a subcommand.
  void Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data);
  // True when one of these commands was given.
  bool Parsed() const;
  // Runs the parsed command; returns the exit code (failures exit with one line).
  int Run(Engine& engine);

 private:
  CLI::App *account_ = nullptr, *show_ = nullptr, *list_ = nullptr;
  std::string account_name_, cursor_;
  size_t limit_ = 100;
  bool json_ = false;
};

}  // namespace holo::cli
