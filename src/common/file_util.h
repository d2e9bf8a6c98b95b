// Small durable file writes.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "holo/status.h"

namespace holo::file {

// Creates or replaces `path` with `data`, with permission `mode`, and fsyncs it before
// returning. kIOError naming the path and the system's reason on failure.
Status WriteSynced(const std::string& path, std::string_view data, mode_t mode);

}  // namespace holo::file
