// report_util: formatting shared by the funnel and campaign reports (internal).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "analytics/funnel.h"
#include "common/json_writer.h"

namespace holo::analytics {

// Writes `n`, or the string "<k" when 0 < n < min_group.
void WriteCount(JsonWriter& w, uint64_t n, uint32_t min_group);
// Writes a 5x5 flow matrix as {"none":{"none":n,...},...} (rows: from).
void WriteFlows(JsonWriter& w, const FlowMatrix& flows, uint32_t min_group);
// A fixed-width table of a flow matrix (rows: from, columns: to).
std::string FlowsText(const FlowMatrix& flows, uint32_t min_group);

}  // namespace holo::analytics
