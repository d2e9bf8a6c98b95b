// ledger.h: the ground truth of one entity, kept while the entity's messages are generated.
//
// An entity is a person ("p000123"), a household's shared tablet ("shared-h000045") or a
// public kiosk ("kiosk-7"). The ledger records every identifier the generator emitted for the
// entity as a truth row (one per distinct type + raw string, with the source and time it was
// first seen), and a union-find over canonical identifiers that joins the identifiers that
// co-occur in one message. Its components are the "PERSON#K" labels of truth_linkable.csv.
//
// Memory is O(identifiers of this entity); nothing is global.
//
//   EntityLedger ledger;
//   ledger.Reset("p000123");
//   int a = ledger.Observe(IdType::kUserId, Source::kTaobao, "2200123456789", ts, Source::kTmall);
//   int b = ledger.Observe(IdType::kPhone, Source::kTaobao, "+86 138 1234 5678", ts, src);
//   ledger.Union(a, b);
//   ledger.AppendCsv(&truth, &linkable);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "generate/ids.h"

namespace holo::generate {

class EntityLedger {
 public:
  // Forgets everything and names the entity (the person_id of its truth rows).
  void Reset(std::string label);
  const std::string& label() const { return label_; }

  // Records that identifier `raw` of `type` (namespace `ns` for user and anonymous ids) was
  // emitted in a message of `source` at `ts_ms`. Returns its union-find node: raw variants with
  // the same canonical form share a node.
  int Observe(IdType type, Source ns, std::string_view raw, int64_t ts_ms, Source source);

  // Joins the components of nodes `a` and `b`.
  void Union(int a, int b);

  // Appends one CSV row per identifier, in first-observed order, to `truth`
  // (source,identifier_type,identifier_value,label) and to `linkable` (same, with label#K
  // where K numbers the components in order of first appearance).
  void AppendCsv(std::string* truth, std::string* linkable) const;

  size_t rows() const { return rows_.size(); }
  // Returns the number of union-find components (distinct label#K values).
  size_t Components() const;

 private:
  struct Row {
    uint64_t hash;
    IdType type;
    Source ns;
    Source first_source;
    int64_t first_ts;
    int node;
    std::string raw;
  };
  struct Node {
    uint64_t hash;
    IdType type;
    Source ns;
    int parent;
    std::string canonical;
  };
  int Find(int node);
  int FindConst(int node) const;

  std::string label_;
  std::vector<Row> rows_;
  std::vector<Node> nodes_;
  std::string scratch_;
};

// Appends `value` to `out` as one CSV field, quoting it when it holds ',', '"' or a newline.
void AppendCsvField(std::string_view value, std::string* out);

}  // namespace holo::generate
