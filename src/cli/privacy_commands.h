// The privacy subcommands of `holo` (docs/privacy.md): consent, dsar, erase, audit, retention, dead-letters. main.cc adds them
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
  // `holo audit` reads the audit log only: it runs without opening the store (and so
  // beside a running server).
  bool ParsedWithoutEngine() const;
  int RunWithoutEngine(const std::string& data_dir);
  // Runs the parsed command; returns the exit code (failures exit with one line).
  // Erasures, consent changes, policy changes and access requests are audited.
  int Run(Engine& engine, const std::string& data_dir);

 private:
  CLI::App *consent_ = nullptr, *give_ = nullptr, *withdraw_ = nullptr, *show_ = nullptr, *policy_ = nullptr;
  CLI::App *erase_ = nullptr, *dsar_ = nullptr, *audit_ = nullptr, *dead_ = nullptr;
  size_t dead_limit_ = 100;
  CLI::App *retention_ = nullptr, *ret_show_ = nullptr, *ret_set_ = nullptr, *ret_apply_ = nullptr;
  std::string retention_json_;
  std::string audit_action_, audit_token_, audit_target_, audit_since_, audit_until_;
  bool audit_verify_ = false;
  std::vector<std::string> supplied_;
  std::string out_;
  bool compact_ = false;
  bool json_ = false;
  std::string id_, source_ = "cli", at_, policy_file_;
  std::vector<std::string> purposes_;
};

}  // namespace holo::cli
