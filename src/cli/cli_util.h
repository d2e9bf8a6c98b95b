// Shared helpers of the `holo` subcommands: failures exit with one line on stderr.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include <pwd.h>
#include <unistd.h>

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
