// Test helpers: random trait rows and random expressions over them (fixed seeds).
#pragma once

#include <random>
#include <string>
#include <vector>

#include "segment/evaluator.h"
#include "segment/trait_table.h"

namespace holo::segment::testing {

// Traits: lo (few distinct numbers, negatives, ties), hi (many distinct numbers
// with a heavy 0), flag (0/1), city (string; sometimes a number: a type
// conflict), tags (set; sometimes a string), consent_m (0/1). Each may be missing.
class RandomRows {
 public:
  explicit RandomRows(uint32_t seed) : rng_(seed) {}

  TraitRow Row() {
    TraitRow r;
    if (Chance(0.9)) r.emplace_back("lo", static_cast<double>(Pick(7)) - 2.0 + (Chance(0.1) ? 0.5 : 0.0));
    if (Chance(0.85)) {
      double v = Chance(0.2) ? 0.0 : std::round(std::normal_distribution<double>(300, 400)(rng_) * 100) / 100;
      r.emplace_back("hi", v);
    }
    if (Chance(0.9)) r.emplace_back("flag", static_cast<double>(Pick(2)));
    if (Chance(0.8)) {
      if (Chance(0.03)) {
        r.emplace_back("city", 5.0);  // conflict once the column is a string column
      } else {
        r.emplace_back("city", City());
      }
    }
    if (Chance(0.8)) {
      if (Chance(0.03)) {
        r.emplace_back("tags", std::string("t1"));  // conflict
      } else {
        std::vector<std::string> tags;
        int k = Pick(4);
        for (int i = 0; i < k; ++i) tags.push_back("t" + std::to_string(Pick(8)));
        r.emplace_back("tags", tags);
      }
    }
    if (Chance(0.7)) r.emplace_back("consent_m", static_cast<double>(Pick(10) < 7));
    if (Chance(0.05)) r.emplace_back("hi", std::monostate());  // a later missing overrides
    return r;
  }

  std::string City() {
    static const char* kCities[] = {"Shanghai", "Hangzhou", "Beijing", "Shenzhen", "Chengdu", "Wuhan"};
    return kCities[Pick(6)];
  }

  int Pick(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

class RandomPredicates {
 public:
  explicit RandomPredicates(uint32_t seed, bool percentiles = true) : rows_(seed), percentiles_(percentiles) {}

  std::string Expr(int depth = 0) {
    int r = rows_.Pick(depth >= 2 ? 10 : 14);
    if (r < 10) return Pred();
    if (r < 12) return Expr(depth + 1) + " and " + Expr(depth + 1);
    if (r < 13) return "(" + Expr(depth + 1) + " or " + Expr(depth + 1) + ")";
    return "not " + Pred();
  }

  std::string Pred() {
    static const char* kOps[] = {"=", "!=", "<", "<=", ">", ">="};
    std::string op = kOps[rows_.Pick(6)];
    switch (rows_.Pick(percentiles_ ? 16 : 15)) {
      case 0:
        return "lo " + op + " " + Num(true);
      case 1:
        return "hi " + op + " " + Num(false);
      case 2:
        return "hi between " + Num(false) + " and " + Num(false);
      case 3:
        return "lo in (" + Num(true) + ", " + Num(true) + ")";
      case 4:
        return "lo not in (" + Num(true) + ", \"x\")";
      case 5:
        return "city " + op + " \"" + rows_.City() + "\"";
      case 6:
        return "city in (\"" + rows_.City() + "\", \"" + rows_.City() + "\", 3)";
      case 7:
        return "tags contains \"t" + std::to_string(rows_.Pick(9)) + "\"";
      case 8:
        return "tags " + std::string(rows_.Pick(2) ? "not in" : "in") + " (\"t" + std::to_string(rows_.Pick(9)) +
               "\", \"t" + std::to_string(rows_.Pick(9)) + "\")";
      case 9:
        return std::string(rows_.Pick(2) ? "flag" : "consent(\"m\")");
      case 10: {
        static const char* kTraits[] = {"lo", "hi", "city", "tags", "nothing"};
        return std::string(kTraits[rows_.Pick(5)]) + (rows_.Pick(2) ? " is null" : " is not null");
      }
      case 11:
        return "nothing " + op + " 1";
      case 12:
        return "city " + op + " " + Num(true);  // type mismatch
      case 13:
        return "tags " + op + " \"t" + std::to_string(rows_.Pick(9)) + "\"";
      case 14:
        return "hi = " + Num(false);
      default:
        return std::string("percentile(") + (rows_.Pick(2) ? "hi" : "lo") + ") " + op + " " +
               std::to_string(rows_.Pick(101));
    }
  }

 private:
  std::string Num(bool low) {
    if (low) {
      double v = rows_.Pick(8) - 3 + (rows_.Pick(4) == 0 ? 0.5 : 0);
      return Fmt(v);
    }
    if (rows_.Pick(4) == 0) return "0";
    return Fmt(std::round(std::normal_distribution<double>(300, 400)(rows_.rng()) * 100) / 100);
  }
  static std::string Fmt(double v) {
    char buf[64];
    snprintf(buf, sizeof(buf), "%.2f", v);
    return buf;
  }

  RandomRows rows_;
  bool percentiles_;
};

// Builds the percentile context of every numeric column of `table`.
inline PercentileContext PercentilesOf(const TraitTable& table) {
  PercentileContext ctx;
  for (const std::string& name : table.ColumnNames()) {
    const Column* c = table.FindColumn(name);
    if (c->type() != ColumnType::kNumber) continue;
    for (uint32_t row : c->not_null()) ctx.Add(name, c->number(row));
  }
  ctx.Finish();
  return ctx;
}

// Returns the live rows of `table` that Matches() accepts.
inline Roaring Reference(const Expr& e, const TraitTable& table, const PercentileContext& ctx) {
  Roaring out;
  for (uint32_t row : table.rows()) {
    if (Matches(e, table.GetRow(row), &ctx)) out.add(row);
  }
  return out;
}

}  // namespace holo::segment::testing
