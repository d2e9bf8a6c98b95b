// The dashboard's static files (web/), compiled into the binary at build time
// by cmake/EmbedAssets.cmake.
#pragma once

#include <string_view>

namespace holo::server {

struct Asset {
  std::string_view name;          // file name, e.g. "app.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view data;
};

// Returns the asset named `name`, nullptr if none.
const Asset* FindAsset(std::string_view name);

}  // namespace holo::server
