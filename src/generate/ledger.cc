#include "generate/ledger.h"

#include <utility>

namespace holo::generate {
namespace {

uint64_t HashOf(IdType type, Source ns, std::string_view s) {
  // FNV-1a over the bytes, then mixed with the type and namespace.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return Mix(h, (static_cast<uint64_t>(type) << 8) | static_cast<uint64_t>(Index(ns)));
}

}  // namespace

void AppendCsvField(std::string_view value, std::string* out) {
  if (value.find_first_of(",\"\n\r") == std::string_view::npos) {
    out->append(value);
    return;
  }
  out->push_back('"');
  for (char c : value) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void EntityLedger::Reset(std::string label) {
  label_ = std::move(label);
  rows_.clear();
  nodes_.clear();
}

int EntityLedger::Observe(IdType type, Source ns, std::string_view raw, int64_t ts_ms,
                          Source source) {
  // Only user and anonymous ids are namespaced; the rest are global types.
  if (type != IdType::kUserId && type != IdType::kAnonymousId) ns = Source::kTaobao;
  const uint64_t h = HashOf(type, ns, raw);
  for (Row& row : rows_) {
    if (row.hash == h && row.type == type && row.ns == ns && row.raw == raw) {
      if (ts_ms < row.first_ts) {
        row.first_ts = ts_ms;
        row.first_source = source;
      }
      return row.node;
    }
  }
  scratch_.clear();
  AppendCanonical(type, raw, &scratch_);
  const uint64_t ch = HashOf(type, ns, scratch_);
  int node = -1;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    if (n.hash == ch && n.type == type && n.ns == ns && n.canonical == scratch_) {
      node = static_cast<int>(i);
      break;
    }
  }
  if (node < 0) {
    node = static_cast<int>(nodes_.size());
    nodes_.push_back(Node{ch, type, ns, node, scratch_});
  }
  rows_.push_back(Row{h, type, ns, source, ts_ms, node, std::string(raw)});
  return node;
}

int EntityLedger::Find(int node) {
  while (nodes_[node].parent != node) {
    nodes_[node].parent = nodes_[nodes_[node].parent].parent;
    node = nodes_[node].parent;
  }
  return node;
}

int EntityLedger::FindConst(int node) const {
  while (nodes_[node].parent != node) node = nodes_[node].parent;
  return node;
}

void EntityLedger::Union(int a, int b) {
  a = Find(a);
  b = Find(b);
  if (a == b) return;
  // The older node stays the root, so roots are stable and deterministic.
  if (a < b) {
    nodes_[b].parent = a;
  } else {
    nodes_[a].parent = b;
  }
}

size_t EntityLedger::Components() const {
  size_t n = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (FindConst(static_cast<int>(i)) == static_cast<int>(i)) ++n;
  }
  return n;
}

void EntityLedger::AppendCsv(std::string* truth, std::string* linkable) const {
  std::vector<int> component(nodes_.size(), -1);
  int next_component = 0;
  for (const Row& row : rows_) {
    const int root = FindConst(row.node);
    if (component[root] < 0) component[root] = next_component++;
    for (std::string* out : {truth, linkable}) {
      out->append(SourceName(row.first_source));
      out->push_back(',');
      AppendTruthType(row.type, row.ns, out);
      out->push_back(',');
      AppendCsvField(row.raw, out);
      out->push_back(',');
      out->append(label_);
    }
    truth->push_back('\n');
    linkable->push_back('#');
    linkable->append(std::to_string(component[root]));
    linkable->push_back('\n');
  }
}

}  // namespace holo::generate
