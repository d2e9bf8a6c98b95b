// The offer subcommands of `holo`: `offer issue|report|list` (docs/aipl.md, "Offers").
// main.cc adds them and runs them on an open engine.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "holo/engine.h"

namespace holo::cli {

class OfferCommands {
 public:
  void Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data);
  bool Parsed() const;
  int Run(Engine& engine);

 private:
  CLI::App *offer_ = nullptr, *issue_ = nullptr, *report_ = nullptr, *list_ = nullptr;
  std::string name_, segment_, campaign_, at_, window_ = "30d";
  double holdout_ = 0.1;
  bool json_ = false;
};

}  // namespace holo::cli
