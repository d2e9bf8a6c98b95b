// Reports over the whole identity graph: hub identifiers and what they would
// have bridged, the effect of a policy change before it is applied (dry run),
// and the cluster-size distribution with a drift check.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "holo/result.h"
#include "identity/resolver.h"
#include "storage/store.h"

namespace holo::identity {

// ---- Hubs ----------------------------------------------------------------
struct HubEntry {
  NodeKey node{};
  std::string type;
  uint8_t reason = 0;          // SharedReason
  uint32_t accounts = 0;       // distinct account neighbours
  uint32_t devices = 0;        // distinct device-id neighbours
  uint32_t neighbours = 0;     // all neighbours (evidence edges)
  uint32_t oneids_bridged = 0; // distinct OneIDs among its neighbours: what it would have joined
  uint64_t edges_cut = 0;      // its edges that the shared rule kept from joining people
  Degrees degrees{};           // distinct device ids, MACs, ad ids, installs (saturating at 255)
  std::string why;             // the rule in words, with the degree and cap behind it
};
struct HubReport {
  uint64_t identifiers = 0;
  uint64_t shared = 0;            // all shared identifiers
  uint64_t by_reason[kNumSharedReasons] = {};  // indexed by SharedReason
  uint64_t edges_cut = 0;
  HubCaps caps;                   // the caps learned from the whole graph (policy hub_caps aside)
  std::vector<HubEntry> top;      // by oneids_bridged, then neighbours
};
// Resolves the whole graph under `policy` and lists the shared identifiers
// (at most `top` of them, the widest bridges first).
Result<HubReport> FindHubs(const storage::Store& store, const MergePolicy& policy, size_t top);

// ---- Cluster sizes -------------------------------------------------------
// Identifiers per OneID, bucketed: 1, 2, 3-4, 5-8, 9-16, 17-32, 33-64, 65+.
inline constexpr size_t kSizeBuckets = 8;
struct SizeHistogram {
  std::array<uint64_t, kSizeBuckets> oneids{};       // OneIDs per bucket
  std::array<uint64_t, kSizeBuckets> identifiers{};  // identifiers per bucket
  uint64_t total_oneids = 0;
  uint64_t total_identifiers = 0;
  uint64_t largest = 0;
  std::string Encode() const;
  static bool Decode(std::string_view in, SizeHistogram* out);
};
const char* SizeBucketName(size_t bucket);
size_t SizeBucket(uint64_t size);
SizeHistogram HistogramOf(const std::vector<uint64_t>& cluster_sizes);
// From the stored OneID membership.
Result<SizeHistogram> CurrentSizes(const storage::Store& store);

struct DriftCheck {
  double distance = 0;  // total variation distance of the identifier share per bucket
  bool alert = false;
  std::vector<std::string> reasons;
};
// Compares `now` with `before`: alerts when the distance exceeds `max_distance`
// or the largest OneID more than doubled (and exceeds 16 identifiers).
DriftCheck CompareSizes(const SizeHistogram& before, const SizeHistogram& now, double max_distance);

// ---- Dry run -------------------------------------------------------------
struct ComponentChange {
  std::vector<uint64_t> oneids;  // current OneIDs involved
  uint64_t identifiers = 0;
  uint32_t parts = 0;            // split: number of new parts
};
struct DryRunReport {
  uint64_t identifiers = 0;
  uint64_t current_oneids = 0;
  uint64_t new_components = 0;
  uint64_t merges = 0;           // new components joining ≥ 2 current OneIDs
  uint64_t splits = 0;           // current OneIDs falling into ≥ 2 new components
  uint64_t identifiers_moved = 0;
  std::vector<ComponentChange> merge_examples;  // largest first
  std::vector<ComponentChange> split_examples;
  SizeHistogram before;
  SizeHistogram after;
};
// Resolves the whole graph under `proposed` and compares with the stored OneIDs.
Result<DryRunReport> DryRun(const storage::Store& store, const MergePolicy& proposed, size_t examples);

}  // namespace holo::identity
