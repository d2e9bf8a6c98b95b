// Explain: why two identifiers (or OneIDs) are, or are not, the same person.
// Finds a path of evidence between them in the stored identity graph and, where
// the path crosses from one OneID to another, the rule that cut it (a shared
// identifier, or a merge refused by a per-person limit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "holo/result.h"
#include "identity/resolver.h"
#include "storage/store.h"

namespace holo::identity {

struct EvidenceStep {
  NodeKey from{};
  NodeKey to{};
  std::string from_type;
  std::string to_type;
  uint64_t from_oneid = 0;
  uint64_t to_oneid = 0;
  EdgeKind kind = EdgeKind::kCooccurrence;
  std::string source;  // source of the first message that carried the pair
  int64_t first_ts = 0;
  int64_t last_ts = 0;
  uint64_t count = 0;  // messages that carried the pair
  float weight = 0;    // kMatch: the match weight
  // Empty when the step is used; otherwise the rule that cut it.
  std::string blocked_by;
};

struct Explanation {
  uint64_t oneid_a = 0;
  uint64_t oneid_b = 0;
  bool same_person = false;
  bool path_found = false;
  std::vector<EvidenceStep> path;
  std::vector<std::string> notes;
};

struct ExplainOptions {
  MergePolicy policy;
  // Search bound: identifiers visited while looking for a path.
  size_t max_visited = 50000;
  // Explain as of this time (ms since epoch; 0 = now): OneIDs as they were then
  // (the resolution history) and only evidence first seen by then.
  int64_t as_of_ms = 0;
};

// Explains the relation between the identifiers `a` and `b` (each a set: all
// members of a OneID, or one identifier). kNotFound when a side is unknown.
Result<Explanation> Explain(const storage::Store& store, const ExplainOptions& options,
                            const std::vector<NodeKey>& a, const std::vector<NodeKey>& b);

}  // namespace holo::identity
