// Shell completion for the holo command line, generated from the CLI11 definition itself so
// that it never drifts from the commands: `holo completion bash` prints a bash script.
//
//   source <(holo completion bash)      # or save it under /etc/bash_completion.d/holo
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace holo::cli {

// A bash completion script for `app` (completing the command `name`): subcommands and options at every
// level; files where an option's value or a positional argument is expected.
std::string BashCompletion(const CLI::App& app, const std::string& name);

}  // namespace holo::cli
