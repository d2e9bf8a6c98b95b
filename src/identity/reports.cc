#include "identity/reports.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "common/coding.h"
#include "identity/graph_loader.h"
#include "identity/hubs.h"
#include "storage/keys.h"

namespace holo::identity {
namespace {

using storage::Cf;
namespace keys = storage::keys;

}  // namespace

Result<HubReport> FindHubs(const storage::Store& store, const MergePolicy& policy, size_t top) {
  LoadedGraph loaded;
  HOLO_RETURN_IF_ERROR(LoadFull(store, &loaded));
  const Subgraph& g = loaded.builder.graph();
  Resolution res = Resolve(g, policy);
  HubReport report;
  report.identifiers = g.nodes.size();
  std::unordered_map<uint32_t, size_t> index;  // node -> entry
  std::vector<HubEntry> entries;
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    if (!res.shared[i]) continue;
    report.shared++;
    report.by_reason[std::min<int>(res.shared[i], kNumSharedReasons - 1)]++;
    index.emplace(i, entries.size());
    HubEntry e;
    e.node = g.nodes[i].key;
    e.type = g.type_names[g.nodes[i].type_id];
    e.reason = res.shared[i];
    e.why = std::string(SharedReasonName(e.reason));
    entries.push_back(std::move(e));
  }
  report.caps = res.caps;
  for (const auto& [node, degrees] : res.shared_degrees) {
    HubEntry& e = entries[index.at(node)];
    e.degrees = degrees;
    if (e.reason == kSharedHub) e.why = "hub: " + DescribeHub(ClassOf(e.type), degrees, res.caps, policy);
  }
  // Neighbour counts and the OneIDs around each hub.
  std::vector<std::vector<uint64_t>> around(entries.size());
  for (const GraphEdge& ge : g.edges) {
    if (!IsMessageEvidence(ge.kind)) continue;
    for (auto [hub, other] : {std::pair{ge.a, ge.b}, std::pair{ge.b, ge.a}}) {
      auto it = index.find(hub);
      if (it == index.end()) continue;
      HubEntry& e = entries[it->second];
      e.neighbours++;
      IdClass c = ClassOf(g.type_names[g.nodes[other].type_id]);
      if (c == IdClass::kAccount) e.accounts++;
      if (c == IdClass::kDevice) e.devices++;
      if (!res.shared[other]) {
        e.edges_cut++;
        report.edges_cut += hub == ge.a || !index.count(ge.a);  // count each edge once
        if (loaded.old_ids[other] != 0) around[it->second].push_back(loaded.old_ids[other]);
      }
    }
  }
  for (size_t k = 0; k < entries.size(); ++k) {
    auto& ids = around[k];
    std::sort(ids.begin(), ids.end());
    entries[k].oneids_bridged = static_cast<uint32_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
  }
  std::sort(entries.begin(), entries.end(), [](const HubEntry& x, const HubEntry& y) {
    return std::tie(y.oneids_bridged, y.neighbours, x.node) < std::tie(x.oneids_bridged, x.neighbours, y.node);
  });
  if (entries.size() > top) entries.resize(top);
  report.top = std::move(entries);
  return report;
}

const char* SizeBucketName(size_t bucket) {
  static constexpr const char* kNames[kSizeBuckets] = {"1", "2", "3-4", "5-8", "9-16", "17-32", "33-64", "65+"};
  return bucket < kSizeBuckets ? kNames[bucket] : "?";
}

size_t SizeBucket(uint64_t size) {
  if (size <= 1) return 0;
  size_t b = 1;
  for (uint64_t limit = 2; size > limit && b + 1 < kSizeBuckets; limit *= 2) ++b;
  return b;
}

SizeHistogram HistogramOf(const std::vector<uint64_t>& cluster_sizes) {
  SizeHistogram h;
  for (uint64_t s : cluster_sizes) {
    if (s == 0) continue;
    size_t b = SizeBucket(s);
    h.oneids[b]++;
    h.identifiers[b] += s;
    h.total_oneids++;
    h.total_identifiers += s;
    h.largest = std::max(h.largest, s);
  }
  return h;
}

std::string SizeHistogram::Encode() const {
  std::string out;
  for (size_t b = 0; b < kSizeBuckets; ++b) {
    coding::PutFixed64BE(&out, oneids[b]);
    coding::PutFixed64BE(&out, identifiers[b]);
  }
  coding::PutFixed64BE(&out, largest);
  return out;
}

bool SizeHistogram::Decode(std::string_view in, SizeHistogram* out) {
  if (in.size() != (2 * kSizeBuckets + 1) * 8) return false;
  *out = SizeHistogram();
  for (size_t b = 0; b < kSizeBuckets; ++b) {
    out->oneids[b] = coding::DecodeFixed64BE(in.data() + 16 * b);
    out->identifiers[b] = coding::DecodeFixed64BE(in.data() + 16 * b + 8);
    out->total_oneids += out->oneids[b];
    out->total_identifiers += out->identifiers[b];
  }
  out->largest = coding::DecodeFixed64BE(in.data() + 16 * kSizeBuckets);
  return true;
}

Result<SizeHistogram> CurrentSizes(const storage::Store& store) {
  std::vector<uint64_t> sizes;
  auto it = store.NewCursor(Cf::kGraph);
  uint64_t current = 0;
  std::string current_prefix;
  for (it->Seek(keys::kGraphMemberPrefix); it->Valid() && it->key().starts_with(keys::kGraphMemberPrefix); it->Next()) {
    std::string_view k = it->key();
    if (k.size() != 25) continue;
    if (k.substr(0, 9) != current_prefix) {
      if (current) sizes.push_back(current);
      current_prefix.assign(k.substr(0, 9));
      current = 0;
    }
    current++;
  }
  HOLO_RETURN_IF_ERROR(it->status().WithContext("scan OneID members"));
  if (current) sizes.push_back(current);
  return HistogramOf(sizes);
}

DriftCheck CompareSizes(const SizeHistogram& before, const SizeHistogram& now, double max_distance) {
  DriftCheck d;
  if (before.total_identifiers == 0 || now.total_identifiers == 0) return d;
  double tv = 0;
  for (size_t b = 0; b < kSizeBuckets; ++b) {
    tv += std::fabs(static_cast<double>(before.identifiers[b]) / before.total_identifiers -
                    static_cast<double>(now.identifiers[b]) / now.total_identifiers);
  }
  d.distance = tv / 2;
  if (d.distance > max_distance) {
    d.alert = true;
    d.reasons.push_back("cluster-size distribution moved by " + std::to_string(d.distance) + " (limit " +
                        std::to_string(max_distance) + ")");
  }
  if (now.largest > 16 && now.largest > 2 * before.largest) {
    d.alert = true;
    d.reasons.push_back("largest OneID grew from " + std::to_string(before.largest) + " to " +
                        std::to_string(now.largest) + " identifiers");
  }
  return d;
}

Result<DryRunReport> DryRun(const storage::Store& store, const MergePolicy& proposed, size_t examples) {
  LoadedGraph loaded;
  HOLO_RETURN_IF_ERROR(LoadFull(store, &loaded));
  const Subgraph& g = loaded.builder.graph();
  const std::vector<uint64_t>& cur = loaded.old_ids;
  Resolution res = Resolve(g, proposed);
  DryRunReport r;
  r.identifiers = g.nodes.size();
  r.new_components = res.num_components;
  std::map<uint64_t, std::map<uint32_t, uint64_t>> by_old;  // current OneID -> new component -> n
  std::vector<std::map<uint64_t, uint64_t>> by_new(res.num_components);
  std::map<uint64_t, uint64_t> old_sizes;
  std::vector<uint64_t> new_sizes(res.num_components, 0);
  for (uint32_t i = 0; i < g.nodes.size(); ++i) {
    uint32_t c = res.component[i];
    if (c == kNoComponent) continue;
    new_sizes[c]++;
    if (cur[i] == 0) continue;
    old_sizes[cur[i]]++;
    by_old[cur[i]][c]++;
    by_new[c][cur[i]]++;
  }
  r.current_oneids = old_sizes.size();
  std::vector<uint64_t> sizes;
  for (const auto& [id, n] : old_sizes) sizes.push_back(n);
  r.before = HistogramOf(sizes);
  r.after = HistogramOf(new_sizes);
  for (uint32_t c = 0; c < by_new.size(); ++c) {
    if (by_new[c].size() < 2) continue;
    r.merges++;
    ComponentChange ch;
    for (const auto& [id, n] : by_new[c]) ch.oneids.push_back(id);
    ch.identifiers = new_sizes[c];
    ch.parts = 1;
    r.merge_examples.push_back(std::move(ch));
  }
  for (const auto& [id, parts] : by_old) {
    if (parts.size() < 2) continue;
    r.splits++;
    uint64_t largest = 0;
    for (const auto& [c, n] : parts) largest = std::max(largest, n);
    r.identifiers_moved += old_sizes[id] - largest;
    ComponentChange ch;
    ch.oneids.push_back(id);
    ch.identifiers = old_sizes[id];
    ch.parts = static_cast<uint32_t>(parts.size());
    r.split_examples.push_back(std::move(ch));
  }
  for (const auto& m : r.merge_examples) {
    // Every identifier outside the merge's largest current OneID changes OneID.
    uint64_t largest = 0;
    for (uint64_t id : m.oneids) largest = std::max(largest, old_sizes[id]);
    r.identifiers_moved += m.identifiers - largest;
  }
  auto by_size = [](const ComponentChange& x, const ComponentChange& y) {
    return std::tie(y.identifiers, x.oneids) < std::tie(x.identifiers, y.oneids);
  };
  for (auto* list : {&r.merge_examples, &r.split_examples}) {
    std::sort(list->begin(), list->end(), by_size);
    if (list->size() > examples) list->resize(examples);
  }
  return r;
}

}  // namespace holo::identity
