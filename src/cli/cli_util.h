// Shared helpers of the `holo` subcommands: failures exit with one line on stderr.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include <pwd.h>
#include <unistd.h>

#include "holo/status.h"
#include "privacy/audit_log.h"

namespace holo::cli {

[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "holo: error: %s\n", what.c_str());
  std::exit(1);
}

inline void Check(const Status& s, const std::string& context = "") {
  if (!s.ok()) Fail(context.empty() ? s.ToString() : context + ": " + s.ToString());
}

// Appends one entry to DATA/audit.jsonl for a command run from the CLI: who is
// "cli:<user>" with the role "operator". No audit, no answer: failures exit.
inline void AuditCli(const std::string& data_dir, const std::string& action, const std::string& target, int status) {
  const passwd* pw = getpwuid(geteuid());
  const std::string who = std::string("cli:") + (pw != nullptr ? pw->pw_name : std::to_string(geteuid()).c_str());
  privacy::AuditLog log;
  Check(log.Open(data_dir + "/audit.jsonl"), "audit");
  Check(log.Append(who, "operator", action, target, status), "audit");
  Check(log.Sync(/*durable=*/true), "audit");
}

}  // namespace holo::cli
