// IdentityStage's administration: evidence removal, match import, policy dry runs, hub and
// cluster-size reports, the merge/split feed and explanations (identity_stage.h). The engine
// takes its change lock around each change and resolves after it (EngineImpl::ResolveWith).
#include "engine/identity_stage.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <ostream>

#include "common/coding.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "identity/evidence.h"
#include "identity/explain.h"
#include "identity/graph_store.h"
#include "identity/policy.h"
#include "identity/hubs.h"
#include "identity/reports.h"
#include "match/csv_reader.h"
#include "privacy/pseudonymizer.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;

std::string FormatWeight(float w) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", static_cast<double>(w));
  return buf;
}

std::string Percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f%%", 100 * x);
  return buf;
}

void WriteHistogram(const identity::SizeHistogram& h, JsonWriter* w) {
  w->BeginObject();
  w->Key("oneids").Uint(h.total_oneids);
  w->Key("identifiers").Uint(h.total_identifiers);
  w->Key("largest").Uint(h.largest);
  w->Key("buckets").BeginArray();
  for (size_t b = 0; b < identity::kSizeBuckets; ++b) {
    w->BeginObject();
    w->Key("size").String(identity::SizeBucketName(b));
    w->Key("oneids").Uint(h.oneids[b]);
    w->Key("identifiers").Uint(h.identifiers[b]);
    w->EndObject();
  }
  w->EndArray();
  w->EndObject();
}

std::string HistogramText(const identity::SizeHistogram& h) {
  std::string t = "  size      OneIDs   identifiers\n";
  for (size_t b = 0; b < identity::kSizeBuckets; ++b) {
    char line[96];
    std::snprintf(line, sizeof(line), "  %-6s %10llu %13llu\n", identity::SizeBucketName(b),
                  static_cast<unsigned long long>(h.oneids[b]), static_cast<unsigned long long>(h.identifiers[b]));
    t += line;
  }
  t += "  largest OneID: " + std::to_string(h.largest) + " identifiers\n";
  return t;
}

}  // namespace

Status IdentityStage::EraseIdentifier(std::string_view id) {
  HOLO_ASSIGN_OR_RETURN(privacy::Pseudonym node, NodeOf(id));
  Status s = identity::EraseNode(store_, node);
  if (s.code() == StatusCode::kNotFound) return Status::NotFound("identifier " + std::string(id) + " is not known");
  return s;
}

Status IdentityStage::WithdrawLink(std::string_view a, std::string_view b, std::string_view reason,
                                   int64_t now_ms) {
  HOLO_ASSIGN_OR_RETURN(privacy::Pseudonym na, NodeOf(a));
  HOLO_ASSIGN_OR_RETURN(privacy::Pseudonym nb, NodeOf(b));
  Status s = identity::WithdrawPair(store_, na, nb, reason, now_ms);
  if (s.code() == StatusCode::kNotFound) {
    return Status::NotFound("cannot withdraw: " + std::string(a) + " or " + std::string(b) + " is not known");
  }
  return s;
}

Status IdentityStage::DeleteEvent(std::string_view source, std::string_view message_id) {
  identity::RemovedEvent removed;
  return identity::RemoveEvent(store_, source, message_id, &removed);
}

Status IdentityStage::ImportMatches(const std::string& pairs_csv, int64_t now_ms, Engine::MatchImport* import) {
  if (import->type_a.empty()) return Status::InvalidArgument("import matches: the identifier type of the records is required");
  HOLO_ASSIGN_OR_RETURN(match::CsvTable table, match::ReadCsvFile(pairs_csv));
  int ia = table.ColumnIndex("id_a"), ib = table.ColumnIndex("id_b"), iw = table.ColumnIndex("weight");
  if (ia < 0 || ib < 0 || iw < 0) {
    return Status::InvalidArgument(pairs_csv + ": expected the columns id_a,id_b,weight (a holo match pairs.csv)");
  }
  const std::string type_a = CanonicalType(import->type_a);
  const std::string type_b = CanonicalType(import->type_b.empty() ? import->type_a : import->type_b);
  const std::string source =
      import->source.empty() ? std::filesystem::path(pairs_csv).filename().string() : import->source;
  auto strip = [](std::string_view id, std::string_view prefix) {
    return id.starts_with(prefix) ? id.substr(prefix.size()) : id;
  };
  std::vector<identity::MatchLink> links;
  import->imported = import->skipped = 0;
  for (size_t r = 0; r < table.rows.size(); ++r) {
    const auto& row = table.rows[r];
    std::string_view a = strip(row[ia], "1:");
    std::string_view b = strip(strip(row[ib], "2:"), "1:");
    const std::string& tb = std::string_view(row[ib]).starts_with("1:") ? type_a : type_b;
    char* end = nullptr;
    const float weight = std::strtof(row[iw].c_str(), &end);
    if (row[iw].empty() || end == nullptr || *end != '\0' || !std::isfinite(weight)) {
      return Status::InvalidArgument(pairs_csv + ":" + std::to_string(r + 2) + ": weight '" + row[iw] +
                                     "' is not a number");
    }
    auto pa = PseudonymOf(type_a, a);
    auto pb = PseudonymOf(tb, b);
    if (!pa.ok() || !pb.ok() || !pa->has_value() || !pb->has_value()) {
      import->skipped++;
      continue;
    }
    identity::MatchLink l;
    l.a = **pa;
    l.b = **pb;
    l.type_a = type_a;
    l.type_b = tb;
    l.weight = weight;
    links.push_back(std::move(l));
  }
  HOLO_RETURN_IF_ERROR(identity::AddMatches(store_, links, source, now_ms));
  import->imported = links.size();
  return Status::OK();
}

Result<Engine::Report> IdentityStage::DryRunPolicy(std::string_view toml, size_t examples) const {
  HOLO_ASSIGN_OR_RETURN(identity::MergePolicy next, identity::ParsePolicy(toml, "policy"));
  HOLO_ASSIGN_OR_RETURN(identity::DryRunReport r, identity::DryRun(*store_, next, examples));
  Engine::Report out;
  JsonWriter w(&out.json);
  w.BeginObject();
  w.Key("identifiers").Uint(r.identifiers);
  w.Key("current_oneids").Uint(r.current_oneids);
  w.Key("new_oneids").Uint(r.new_components);
  w.Key("merges").Uint(r.merges);
  w.Key("splits").Uint(r.splits);
  w.Key("identifiers_changing_oneid").Uint(r.identifiers_moved);
  for (const auto& [name, list] : {std::pair{"merge_examples", &r.merge_examples}, std::pair{"split_examples", &r.split_examples}}) {
    w.Key(name).BeginArray();
    for (const auto& c : *list) {
      w.BeginObject();
      w.Key("oneids").BeginArray();
      for (uint64_t id : c.oneids) w.Uint(id);
      w.EndArray();
      w.Key("identifiers").Uint(c.identifiers);
      w.Key("parts").Uint(c.parts);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("sizes_before");
  WriteHistogram(r.before, &w);
  w.Key("sizes_after");
  WriteHistogram(r.after, &w);
  w.EndObject();
  std::string& t = out.text;
  t = "dry run over " + std::to_string(r.identifiers) + " identifiers: " + std::to_string(r.current_oneids) +
      " OneIDs now, " + std::to_string(r.new_components) + " under the new policy\n";
  t += "  " + std::to_string(r.merges) + " merges (new OneIDs joining two or more current ones)\n";
  t += "  " + std::to_string(r.splits) + " splits (current OneIDs falling apart)\n";
  t += "  " + std::to_string(r.identifiers_moved) + " identifiers would change OneID\n";
  for (const auto& c : r.merge_examples) {
    t += "  merge of " + std::to_string(c.oneids.size()) + " OneIDs (" + std::to_string(c.identifiers) +
         " identifiers):";
    for (uint64_t id : c.oneids) t += " " + std::to_string(id);
    t += "\n";
  }
  for (const auto& c : r.split_examples) {
    t += "  split of OneID " + std::to_string(c.oneids.front()) + " (" + std::to_string(c.identifiers) +
         " identifiers) into " + std::to_string(c.parts) + " parts\n";
  }
  t += "cluster sizes now:\n" + HistogramText(r.before) + "cluster sizes under the new policy:\n" + HistogramText(r.after);
  return out;
}

Result<Engine::Report> IdentityStage::Hubs(size_t top) const {
  const identity::MergePolicy policy = this->policy();
  HOLO_ASSIGN_OR_RETURN(identity::HubReport r, identity::FindHubs(*store_, policy, top));
  Engine::Report out;
  JsonWriter w(&out.json);
  w.BeginObject();
  w.Key("identifiers").Uint(r.identifiers);
  w.Key("shared").Uint(r.shared);
  w.Key("edges_cut").Uint(r.edges_cut);
  w.Key("by_reason").BeginObject();
  for (uint8_t k = 1; k < identity::kNumSharedReasons; ++k) w.Key(identity::SharedReasonName(k)).Uint(r.by_reason[k]);
  w.EndObject();
  // The hub caps learned from the store's degree distributions (identity/hubs.h).
  w.Key("hub_caps").BeginObject();
  std::string caps_text = "hub caps learned from this store (more than this many is a hub; policy hub_caps override):\n";
  for (int tier = 0; tier < identity::kNumTiers; ++tier) {
    const std::string tier_name(identity::TierName(static_cast<identity::HubTier>(tier)));
    w.Key(tier_name).BeginObject();
    caps_text += "  " + tier_name + ":";
    for (int c = 0; c < identity::kNumNbrClasses; ++c) {
      const std::string cls(identity::NbrClassName(static_cast<identity::NbrClass>(c)));
      const int cap = policy.hub_caps[tier][c] > 0 ? policy.hub_caps[tier][c] : r.caps.cap[tier][c];
      w.Key(cls).Uint(cap);
      caps_text += " " + cls + " " + std::to_string(cap);
    }
    w.EndObject();
    caps_text += "\n";
  }
  w.EndObject();
  w.Key("gateway_types").BeginArray();
  for (const std::string& type : r.caps.gateway_types) w.String(type);
  for (const std::string& type : policy.gateway_types) w.String(type);
  w.EndArray();
  w.Key("hubs").BeginArray();
  std::string& t = out.text;
  t = std::to_string(r.shared) + " of " + std::to_string(r.identifiers) +
      " identifiers are shared or hubs and join no one; " + std::to_string(r.edges_cut) + " edges cut\n";
  for (uint8_t k = 1; k < identity::kNumSharedReasons; ++k) {
    t += "  " + std::to_string(r.by_reason[k]) + "  " + std::string(identity::SharedReasonName(k)) + "\n";
  }
  t += caps_text;
  if (!r.caps.gateway_types.empty() || !policy.gateway_types.empty()) {
    t += "gateway types:";
    for (const std::string& type : r.caps.gateway_types) t += " " + type + " (learned)";
    for (const std::string& type : policy.gateway_types) t += " " + type + " (declared)";
    t += "\n";
  }
  if (!r.top.empty()) {
    t += "widest bridges (type, pseudonym, why, accounts, device ids/MACs/ad ids/installs, OneIDs it would join):\n";
  }
  for (const auto& h : r.top) {
    std::string hex = privacy::PseudonymToHex(h.node);
    w.BeginObject();
    w.Key("type").String(h.type);
    w.Key("pseudonym").String(hex);
    w.Key("reason").String(identity::SharedReasonName(h.reason));
    w.Key("why").String(h.why);
    w.Key("accounts").Uint(h.accounts);
    w.Key("devices").Uint(h.devices);
    w.Key("degrees").BeginObject();
    for (int c = 0; c < identity::kNumNbrClasses; ++c) {
      w.Key(identity::NbrClassName(static_cast<identity::NbrClass>(c))).Uint(h.degrees[c]);
    }
    w.EndObject();
    w.Key("neighbours").Uint(h.neighbours);
    w.Key("oneids_bridged").Uint(h.oneids_bridged);
    w.Key("edges_cut").Uint(h.edges_cut);
    w.EndObject();
    t += "  " + h.type + " " + hex.substr(0, 12) + "…  " + h.why + "; " + std::to_string(h.accounts) +
         " accounts, " + std::to_string(h.degrees[0]) + "/" + std::to_string(h.degrees[1]) + "/" +
         std::to_string(h.degrees[2]) + "/" + std::to_string(h.degrees[3]) + ", would join " +
         std::to_string(h.oneids_bridged) + " OneIDs\n";
  }
  w.EndArray();
  w.EndObject();
  return out;
}

Result<Engine::Report> IdentityStage::MonitorClusterSizes(double max_distance, bool save) {
  HOLO_ASSIGN_OR_RETURN(identity::SizeHistogram now, identity::CurrentSizes(*store_));
  HOLO_ASSIGN_OR_RETURN(auto saved, store_->Get(Cf::kMeta, keys::kSizeHistogram));
  identity::SizeHistogram before;
  const bool has_before = saved.has_value() && identity::SizeHistogram::Decode(*saved, &before);
  identity::DriftCheck d;
  if (has_before) d = identity::CompareSizes(before, now, max_distance);
  if (save) HOLO_RETURN_IF_ERROR(store_->Put(Cf::kMeta, keys::kSizeHistogram, now.Encode(), /*sync=*/true));
  Engine::Report out;
  out.alert = d.alert;
  JsonWriter w(&out.json);
  w.BeginObject();
  w.Key("alert").Bool(d.alert);
  w.Key("reasons").BeginArray();
  for (const auto& r : d.reasons) w.String(r);
  w.EndArray();
  w.Key("distance").Double(d.distance);
  w.Key("max_distance").Double(max_distance);
  w.Key("now");
  WriteHistogram(now, &w);
  if (has_before) {
    w.Key("before");
    WriteHistogram(before, &w);
  }
  w.EndObject();
  std::string& t = out.text;
  t = "cluster sizes (identifiers per OneID):\n" + HistogramText(now);
  if (!has_before) {
    t += "no earlier snapshot to compare with" + std::string(save ? "; this one is saved" : "") + "\n";
  } else {
    t += "distance to the last snapshot: " + Percent(d.distance) + " (limit " + Percent(max_distance) + ")\n";
    for (const auto& r : d.reasons) t += "ALERT: " + r + "\n";
    if (!d.alert) t += "no drift\n";
  }
  return out;
}

Status IdentityStage::Feed(uint64_t since, std::ostream& out) const {
  auto it = store_->NewCursor(Cf::kMeta);
  std::string start = keys::FeedKey(since + 1);
  for (it->Seek(start); it->Valid() && it->key().starts_with(keys::kFeedPrefix); it->Next()) {
    uint64_t seq = coding::DecodeFixed64BE(it->key().data() + keys::kFeedPrefix.size());
    std::string_view rec = it->value();
    // {"seq":N, ...the stored record}
    out << "{\"seq\":" << seq << "," << rec.substr(1) << "\n";
  }
  if (!out) return Status::IOError("write failed while writing the feed");
  return it->status().WithContext("scan feed");
}

Result<Engine::Explanation> IdentityStage::Explain(std::string_view a, std::string_view b, int64_t as_of_ms) const {
  HOLO_ASSIGN_OR_RETURN(auto a_nodes, NodesOf(a));
  HOLO_ASSIGN_OR_RETURN(auto b_nodes, NodesOf(b));
  identity::ExplainOptions eo;
  eo.policy = policy();
  eo.as_of_ms = as_of_ms;
  HOLO_ASSIGN_OR_RETURN(identity::Explanation ex, identity::Explain(*store_, eo, a_nodes, b_nodes));
  Engine::Explanation out;
  out.same_person = ex.same_person;
  JsonWriter w(&out.json);
  w.BeginObject();
  w.Key("a").String(a);
  w.Key("b").String(b);
  w.Key("oneid_a").String(std::to_string(ex.oneid_a));
  w.Key("oneid_b").String(std::to_string(ex.oneid_b));
  if (as_of_ms != 0) w.Key("as_of").String(FormatIso8601Ms(as_of_ms));
  w.Key("same_person").Bool(ex.same_person);
  w.Key("path_found").Bool(ex.path_found);
  w.Key("path").BeginArray();
  std::string& t = out.text;
  t = std::string(a) + " and " + std::string(b) +
      (ex.same_person ? " are the same person: OneID " + std::to_string(ex.oneid_a) + "\n"
                      : " are different people: OneIDs " + std::to_string(ex.oneid_a) + " and " +
                            std::to_string(ex.oneid_b) + "\n");
  if (as_of_ms != 0) t = "as of " + FormatIso8601Ms(as_of_ms) + ": " + t;
  if (ex.path_found) t += ex.path.empty() ? "they are the same identifier\n" : "evidence path:\n";
  for (const auto& s : ex.path) {
    std::string kind(identity::EdgeKindName(s.kind));
    std::string from = privacy::PseudonymToHex(s.from), to = privacy::PseudonymToHex(s.to);
    w.BeginObject();
    w.Key("from_type").String(s.from_type);
    w.Key("from").String(from);
    w.Key("from_oneid").String(std::to_string(s.from_oneid));
    w.Key("to_type").String(s.to_type);
    w.Key("to").String(to);
    w.Key("to_oneid").String(std::to_string(s.to_oneid));
    w.Key("kind").String(kind);
    w.Key("source").String(s.source);
    w.Key("first_seen").String(FormatIso8601Ms(s.first_ts));
    w.Key("last_seen").String(FormatIso8601Ms(s.last_ts));
    w.Key("messages").Uint(s.count);
    if (s.kind == identity::EdgeKind::kMatch) w.Key("match_weight").Double(s.weight);
    if (!s.blocked_by.empty()) w.Key("blocked_by").String(s.blocked_by);
    w.EndObject();
    t += "  " + s.from_type + " " + from.substr(0, 12) + "… -> " + s.to_type + " " + to.substr(0, 12) +
         "…  " + kind +
         (s.kind == identity::EdgeKind::kMatch ? " (weight " + FormatWeight(s.weight) + ")"
                                              : ", " + std::to_string(s.count) + " message(s)") +
         ", first in " + s.source + " at " +
         FormatIso8601Ms(s.first_ts) + ", last " + FormatIso8601Ms(s.last_ts) + "\n";
    if (!s.blocked_by.empty()) t += "    CUT: " + s.blocked_by + "\n";
  }
  w.EndArray();
  w.Key("notes").BeginArray();
  for (const auto& n : ex.notes) {
    w.String(n);
    t += n + "\n";
  }
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace holo::engine
