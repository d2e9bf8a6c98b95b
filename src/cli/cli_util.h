// Shared helpers of the `holo` subcommands: failures exit with one line on stderr.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "holo/status.h"

namespace holo::cli {

[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "holo: error: %s\n", what.c_str());
  std::exit(1);
}

inline void Check(const Status& s, const std::string& context = "") {
  if (!s.ok()) Fail(context.empty() ? s.ToString() : context + ": " + s.ToString());
}

}  // namespace holo::cli
