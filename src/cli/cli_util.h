// Shared helpers of the `holo` subcommands: failures exit with one line on stderr.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "holo/engine.h"
#include "holo/status.h"

namespace holo::cli {

[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "holo: error: %s\n", what.c_str());
  std::exit(1);
}

inline void Check(const Status& s, const std::string& context = "") {
  if (!s.ok()) Fail(context.empty() ? s.ToString() : context + ": " + s.ToString());
}

// --json: every command that prints a result takes it, and then prints exactly one JSON
// object on stdout (progress and warnings stay on stderr). `holo completion bash` lists it
// with the command's other options; tests/e2e/cli_json_test.cc holds every command to it.
inline void AddJsonFlag(CLI::App* command, bool* json) {
  command->add_flag("--json", *json, "Print one JSON object on stdout");
}

// --json on a command whose output is always one JSON object: accepted and changes nothing.
inline void AddJsonAlways(CLI::App* command) {
  static const std::string kDescription = "Print one JSON object on stdout (this command always does)";
  command->add_flag("--json", kDescription);
}

// Prints a result on stdout, one line: `json` (one JSON object) with --json, else `text`.
inline void PrintResult(bool json, const std::string& json_text, const std::string& text) {
  std::printf("%s\n", json ? json_text.c_str() : text.c_str());
}
inline void PrintResult(bool json, const Engine::Report& report) {
  PrintResult(json, report.json, report.text);
}

// Appends one entry to the engine's audit log (DATA/audit.jsonl) for a command run from the
// CLI, and syncs it: who is "cli:<user>" with the role "admin" (the CLI can do what an admin
// token can). No audit, no answer: a failure exits non-zero, before a read or export writes
// anything; after a change, saying it went unaudited. An engine opened --read-only writes no
// audit, so a command that must be audited refuses there.
inline void AuditCli(Engine& engine, const std::string& action, const std::string& target, int status) {
  const passwd* pw = getpwuid(geteuid());
  const std::string who = std::string("cli:") + (pw != nullptr ? pw->pw_name : std::to_string(geteuid()).c_str());
  Status s = engine.audit().Append(who, "admin", action, target, status);
  if (s.ok()) s = engine.audit().Sync(/*durable=*/true);
  Check(s, "audit of " + action);
}

// Before a change: exits non-zero, changing nothing, when the audit log cannot be written
// now (AuditCli after the change then says so only if it fails in between).
inline void RequireAudit(Engine& engine, const std::string& action) {
  Check(engine.audit().Sync(/*durable=*/false), action + " refused, the audit log cannot be written");
}

}  // namespace holo::cli
