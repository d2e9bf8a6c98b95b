// The audience subcommands of `holo`: trait, segment, groupprofile, people,
// funnel, campaign. main.cc adds them and runs them on an open engine.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "holo/engine.h"

namespace holo::cli {

class AudienceCommands {
 public:
  // `add_data` adds the shared --data option to a subcommand.
  void Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data);
  // True when one of these commands was given.
  bool Parsed() const;
  // Runs the parsed command; returns the exit code (failures exit with one line).
  int Run(Engine& engine, const std::string& data_dir);

 private:
  // A count, as a number or with --json as {"count", "warnings"}.
  void PrintCount(uint64_t n, const std::vector<std::string>& warnings) const;
  CLI::App *trait_ = nullptr, *trait_define_ = nullptr, *trait_drop_ = nullptr, *trait_list_ = nullptr;
  CLI::App *seg_ = nullptr, *seg_create_ = nullptr, *seg_list_ = nullptr, *seg_show_ = nullptr,
           *seg_count_ = nullptr, *seg_overlap_ = nullptr, *seg_export_ = nullptr, *seg_drop_ = nullptr;
  CLI::App *gp_ = nullptr, *people_ = nullptr, *funnel_ = nullptr, *campaign_ = nullptr;
  std::string name_, name_b_, expr_, out_, at_, from_, use_ = "export";
  bool json_ = false;
  bool builtin_ = false;
  uint32_t k_ = 50;
  Engine::GroupProfileOptions gp_options_;
  Engine::FunnelQuery funnel_query_;
};

}  // namespace holo::cli
