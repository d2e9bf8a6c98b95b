// The recommendation subcommands of `holo` (docs/recommend.md), which need no store:
//   recommend train --interactions FILE... --model DIR [--algo A] [--lambda L] [--weights]
//   recommend for   --model DIR --users FILE [--k 10]      CSV user,item,rank on stdout
//   recommend eval  --interactions FILE... [--algo A,B]    every model, leave-last-out
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace holo::cli {

class RecommendCommands {
 public:
  void Add(CLI::App& app);
  bool Parsed() const;
  // Runs the parsed command; returns the exit code (failures exit with one line).
  int Run();

 private:
  CLI::App *recommend_ = nullptr, *train_ = nullptr, *for_ = nullptr, *eval_ = nullptr;
  std::vector<std::string> files_, algos_;
  std::string model_, users_, algo_ = "sequential", target_ = "next";
  double lambda_ = 100;
  bool weights_ = false, json_ = false;
  size_t k_ = 10;
};

}  // namespace holo::cli
