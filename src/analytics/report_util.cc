#include "analytics/report_util.h"

#include <fmt/format.h>

namespace holo::analytics {

void WriteCount(JsonWriter& w, uint64_t n, uint32_t min_group) {
  if (n > 0 && n < min_group) {
    w.String(FormatCount(n, min_group));
  } else {
    w.Uint(n);
  }
}

void WriteFlows(JsonWriter& w, const FlowMatrix& flows, uint32_t min_group) {
  w.BeginObject();
  for (int i = 0; i < kNumStages; ++i) {
    w.Key(StageName(StageAt(i))).BeginObject();
    for (int j = 0; j < kNumStages; ++j) {
      w.Key(StageName(StageAt(j)));
      WriteCount(w, flows[i][j], min_group);
    }
    w.EndObject();
  }
  w.EndObject();
}

std::string FlowsText(const FlowMatrix& flows, uint32_t min_group) {
  std::string out = fmt::format("{:<10}", "");
  for (int j = 0; j < kNumStages; ++j) out += fmt::format(" {:>10}", StageName(StageAt(j)));
  out += '\n';
  for (int i = 0; i < kNumStages; ++i) {
    out += fmt::format("{:<10}", StageName(StageAt(i)));
    for (int j = 0; j < kNumStages; ++j) {
      out += fmt::format(" {:>10}", FormatCount(flows[i][j], min_group));
    }
    out += '\n';
  }
  return out;
}

}  // namespace holo::analytics
