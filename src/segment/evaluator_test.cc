#include "segment/evaluator.h"

#include <gtest/gtest.h>

#include "segment/test_tables.h"

namespace holo::segment {
namespace {

Expr P(std::string_view text) {
  Result<Expr> e = Parse(text);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status().ToString();
  return e.ok() ? *std::move(e) : Expr();
}

std::vector<uint32_t> Rows(const Roaring& r) {
  std::vector<uint32_t> v;
  for (uint32_t x : r) v.push_back(x);
  return v;
}

TEST(TraitTableTest, TypesConflictsAndReplacement) {
  TraitTable t;
  t.Upsert(1, {{"a", 1.0}, {"s", std::string("x")}, {"set", std::vector<std::string>{"p", "q"}}});
  t.Upsert(2, {{"a", std::string("oops")}, {"s", 2.0}, {"set", std::string("p")}});
  EXPECT_EQ(t.type_conflicts(), 3u);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_TRUE(t.GetRow(2).empty());
  EXPECT_EQ(t.FindColumn("a")->type(), ColumnType::kNumber);
  EXPECT_EQ(t.FindColumn("s")->type(), ColumnType::kString);
  EXPECT_EQ(t.FindColumn("set")->type(), ColumnType::kSet);
  // Upsert replaces the whole row: traits not given become missing.
  t.Upsert(1, {{"a", 3.0}});
  TraitRow r = t.GetRow(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(std::get<double>(r[0].second), 3.0);
  EXPECT_TRUE(Evaluate(P("s is null"), t).contains(1));
  EXPECT_TRUE(Evaluate(P("set contains \"p\""), t).isEmpty());
  t.Erase(1);
  EXPECT_EQ(Rows(t.rows()), std::vector<uint32_t>{2});
  EXPECT_TRUE(Evaluate(P("a is not null"), t).isEmpty());
  EXPECT_EQ(Rows(Evaluate(P("a is null"), t)), std::vector<uint32_t>{2});
}

TEST(EvaluatorTest, SemanticsOnASmallTable) {
  TraitTable t;
  t.Upsert(0, {{"x", 5.0}, {"city", std::string("Shanghai")}, {"tags", std::vector<std::string>{"a", "b"}}});
  t.Upsert(1, {{"x", -5.0}, {"city", std::string("Hangzhou")}, {"tags", std::vector<std::string>{}}});
  t.Upsert(2, {{"x", 0.0}});
  t.Upsert(3, {});
  EXPECT_EQ(Rows(Evaluate(P("x != 5"), t)), (std::vector<uint32_t>{1, 2}));  // missing x excluded
  EXPECT_EQ(Rows(Evaluate(P("not x = 5"), t)), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(Rows(Evaluate(P("x"), t)), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(Rows(Evaluate(P("x < 0"), t)), (std::vector<uint32_t>{1}));
  EXPECT_EQ(Rows(Evaluate(P("x between -5 and 0"), t)), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(Rows(Evaluate(P("city < \"I\""), t)), (std::vector<uint32_t>{1}));
  EXPECT_EQ(Rows(Evaluate(P("city = 5"), t)), std::vector<uint32_t>{});
  EXPECT_EQ(Rows(Evaluate(P("tags contains \"b\""), t)), (std::vector<uint32_t>{0}));
  EXPECT_EQ(Rows(Evaluate(P("tags != \"b\""), t)), (std::vector<uint32_t>{1}));  // empty set is present
  EXPECT_EQ(Rows(Evaluate(P("unknown > 1"), t)), std::vector<uint32_t>{});
  EXPECT_EQ(Rows(Evaluate(P("unknown is null"), t)), (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(Rows(Evaluate(P("consent(\"m\") or x > 1"), t)), (std::vector<uint32_t>{0}));
}

// Evaluate == Matches on random tables, before and after random updates, with
// exact and binned numeric indexes.
void CheckAgainstReference(uint32_t seed, int rows, int updates, bool optimize, int updates_after = 0) {
  testing::RandomRows gen(seed);
  TraitTable t;
  for (int r = 0; r < rows; ++r) {
    if (gen.Chance(0.97)) t.Upsert(static_cast<uint32_t>(r), gen.Row());
  }
  for (int u = 0; u < updates; ++u) {
    uint32_t row = static_cast<uint32_t>(gen.Pick(rows + 50));
    if (gen.Chance(0.1)) {
      t.Erase(row);
    } else {
      t.Upsert(row, gen.Row());
    }
  }
  if (optimize) t.Optimize();
  // After Optimize the cumulative bitmaps are maintained by updates.
  for (int u = 0; u < updates_after; ++u) {
    uint32_t row = static_cast<uint32_t>(gen.Pick(rows + 50));
    if (gen.Chance(0.1)) {
      t.Erase(row);
    } else {
      t.Upsert(row, gen.Row());
    }
  }
  ASSERT_GT(t.type_conflicts(), 0u);
  PercentileContext ctx = testing::PercentilesOf(t);
  testing::RandomPredicates preds(seed + 1);
  for (int i = 0; i < 400; ++i) {
    std::string text = preds.Expr();
    Expr e = P(text);
    Roaring got = Evaluate(e, t);
    Roaring want = testing::Reference(e, t, ctx);
    ASSERT_EQ(got.cardinality(), want.cardinality()) << text;
    ASSERT_TRUE(got == want) << text;
  }
}

TEST(EvaluatorTest, MatchesReferenceSmallExactIndexes) { CheckAgainstReference(1, 300, 200, false); }
TEST(EvaluatorTest, MatchesReferenceBinnedAfterGrowth) { CheckAgainstReference(2, 12000, 3000, false); }
TEST(EvaluatorTest, MatchesReferenceAfterOptimize) { CheckAgainstReference(3, 12000, 0, true); }
TEST(EvaluatorTest, MatchesReferenceUpdatesAfterOptimize) { CheckAgainstReference(4, 12000, 500, true, 4000); }

TEST(EvaluatorTest, NumericIndexSwitchesToBinsAndStaysExact) {
  TraitTable t;
  for (uint32_t r = 0; r < 10000; ++r) t.Upsert(r, {{"v", static_cast<double>(r % 1000) / 10.0}});
  const Column* c = t.FindColumn("v");
  EXPECT_FALSE(c->exact());
  EXPECT_EQ(Evaluate(P("v >= 50"), t).cardinality(), 5000u);
  EXPECT_EQ(Evaluate(P("v > 50"), t).cardinality(), 4990u);
  EXPECT_EQ(Evaluate(P("v = 12.3"), t).cardinality(), 10u);
  EXPECT_EQ(c->Kth(0), 0.0);
  EXPECT_EQ(c->Kth(9999), 99.9);
  EXPECT_EQ(c->Kth(5000), 50.0);
}

TEST(PercentileTest, TopOnePercentWithTies) {
  TraitTable t;
  // Values 1..1000 on rows 0..999; rows 1000..1099 have no value.
  for (uint32_t r = 0; r < 1100; ++r) {
    if (r < 1000) {
      t.Upsert(r, {{"spend", static_cast<double>(r + 1)}});
    } else {
      t.Upsert(r, {{"other", 1.0}});
    }
  }
  Roaring top = Evaluate(P("percentile(spend) >= 99"), t);
  EXPECT_EQ(top.cardinality(), 10u);  // values 991..1000
  EXPECT_EQ(top.minimum(), 990u);
  // Ties at the cut-off are included: values 985..995 all become 995.
  for (uint32_t r = 984; r < 995; ++r) t.Upsert(r, {{"spend", 995.0}});
  top = Evaluate(P("percentile(spend) >= 99"), t);
  EXPECT_EQ(top.cardinality(), 16u);  // 11 ties + 996..1000
  EXPECT_TRUE(top.contains(984));
  EXPECT_EQ(Evaluate(P("percentile(spend) < 99"), t).cardinality(), 984u);
  EXPECT_EQ(Evaluate(P("percentile(spend) is null"), t).cardinality(), 100u);
  EXPECT_EQ(Evaluate(P("percentile(spend) = 100"), t).cardinality(), 1u);
  EXPECT_EQ(Evaluate(P("percentile(spend) <= 0"), t).cardinality(), 1u);
}

TEST(PercentileTest, LargeBinnedColumnMatchesSorting) {
  testing::RandomRows gen(7);
  TraitTable t;
  for (uint32_t r = 0; r < 50000; ++r) t.Upsert(r, gen.Row());
  PercentileContext ctx = testing::PercentilesOf(t);
  for (const char* text : {"percentile(hi) >= 99", "percentile(hi) > 50", "percentile(hi) between 10 and 20",
                           "percentile(hi) = 0", "percentile(lo) >= 60", "percentile(hi) < 25"}) {
    Expr e = P(text);
    EXPECT_TRUE(Evaluate(e, t) == testing::Reference(e, t, ctx)) << text;
  }
  uint64_t n = t.FindColumn("hi")->count();
  uint64_t top = Evaluate(P("percentile(hi) >= 99"), t).cardinality();
  // About 1% of the values plus the ties of the cut-off value.
  EXPECT_GE(top, n / 100);
  EXPECT_LE(top, n / 100 + 20);
}

}  // namespace
}  // namespace holo::segment
