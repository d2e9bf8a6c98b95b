// The recommendation subcommands of `holo` (docs/recommend.md). On files, no store needed:
//   recommend train --interactions FILE... --model DIR [--algo A] [--lambda L] [--weights]
//   recommend for   --model DIR --users FILE [--k 10]      CSV user,item,rank on stdout
//   recommend eval  --interactions FILE... [--algo A,B]    every model, leave-last-out
// On the store (DATA/recommend):
//   recommend train --data DB [--algo auto|A] [--weights]   every OneID's interactions
//   recommend interactions --data DB                      CSV user,item,weight,time on stdout
//   recommend show  --data DB --id ID [--k 10] [--domain D] one person's, with explanations
//   recommend model --data DB                             what is trained
//   lookalike --data DB --seed SEG --size N [--name NEW] [--exclude-traits a,b]
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "holo/engine.h"

namespace holo::cli {

class RecommendCommands {
 public:
  // `add_data` adds the shared --data option to a subcommand.
  void Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data);
  bool Parsed() const;
  // True when the parsed command reads the store (Run(engine)), else Run().
  bool NeedsEngine() const;
  // Runs the parsed command; returns the exit code (failures exit with one line).
  int Run();
  int Run(Engine& engine);

 private:
  CLI::App *recommend_ = nullptr, *train_ = nullptr, *for_ = nullptr, *eval_ = nullptr, *interactions_ = nullptr,
           *show_ = nullptr, *model_info_ = nullptr, *lookalike_ = nullptr;
  std::vector<std::string> files_, algos_, exclude_traits_;
  std::string model_, users_, algo_, target_ = "next", id_, domain_, seed_, name_, seed_file_, scores_;
  double lambda_ = 100;
  bool weights_ = false, json_ = false;
  size_t k_ = 10;
  uint64_t size_ = 0;
};

}  // namespace holo::cli
