// The server subcommands of `holo`: serve, token create, writekey create.
// main.cc adds them and runs them on an open engine.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "holo/engine.h"
#include "holo/server.h"

namespace holo::cli {

class ServeCommands {
 public:
  // `add_data` adds the shared --data option to a subcommand.
  void Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data);
  // True when one of these commands was given.
  bool Parsed() const;
  // Call before the engine is opened (and its threads start): `holo serve`
  // blocks SIGINT/SIGTERM in every thread and waits for them on one.
  void BeforeOpen();
  // Runs the parsed command; returns the exit code (failures exit with one line).
  int Run(Engine& engine, const std::string& data_dir);

 private:
  // token|writekey list|revoke: true when one ran (its exit code in *rc).
  bool RunListOrRevoke(Engine& engine, int* rc);

  CLI::App *serve_ = nullptr, *token_ = nullptr, *token_create_ = nullptr, *writekey_ = nullptr,
           *writekey_create_ = nullptr;
  CLI::App *token_list_ = nullptr, *token_revoke_ = nullptr, *writekey_list_ = nullptr, *writekey_revoke_ = nullptr;
  bool json_ = false;
  bool no_destination_sync_ = false;
  std::string listen_ = "127.0.0.1:8080";
  std::string name_, role_ = "analyst";
  std::vector<std::string> allowed_origins_;  // writekey create --allow-origin
  ServerOptions options_;
};

}  // namespace holo::cli
