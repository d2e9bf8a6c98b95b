#include "segment/segment_set.h"

#include <gtest/gtest.h>

#include <iterator>
#include <map>
#include <set>

#include "segment/evaluator.h"
#include "segment/test_tables.h"

namespace holo::segment {
namespace {

TEST(SegmentSetTest, DefineVersionsAndLifecycle) {
  TraitTable t;
  t.Upsert(1, {{"spend", 6000.0}, {"city", std::string("Shanghai")}});
  t.Upsert(2, {{"spend", 100.0}, {"city", std::string("Shanghai")}});
  SegmentSet s(&t);
  Result<SegmentInfo> a = s.Define("vip", "spend>5000  AND city = \"Shanghai\"", 1000);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->version, 1);
  EXPECT_EQ(a->definition, "spend > 5000 and city = \"Shanghai\"");
  EXPECT_EQ(a->size, 1u);
  // Same canonical text: same version.
  Result<SegmentInfo> b = s.Define("vip", "(spend > 5000) and (city = \"Shanghai\")", 2000);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->version, 1);
  EXPECT_EQ(b->updated_ms, 1000);
  // Different definition: version 2, created kept.
  Result<SegmentInfo> c = s.Define("vip", "spend > 50", 3000);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->version, 2);
  EXPECT_EQ(c->created_ms, 1000);
  EXPECT_EQ(c->updated_ms, 3000);
  EXPECT_EQ(c->size, 2u);
  // A failed redefinition changes nothing.
  Result<SegmentInfo> bad = s.Define("vip", "spend >", 4000);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("at column 8"), std::string::npos) << bad.status().message();
  EXPECT_EQ(s.Get("vip")->version, 2);

  EXPECT_EQ(s.Define("", "x", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Define("a b", "x", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Define(std::string(65, 'a'), "x", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(s.Define(std::string(64, 'a'), "x", 0).ok());
  EXPECT_TRUE(s.Define("A-z_0.9", "x", 0).ok());

  std::vector<SegmentInfo> list = s.List();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].name, "A-z_0.9");
  EXPECT_EQ(list[2].name, "vip");
  EXPECT_TRUE(s.Remove("vip").ok());
  EXPECT_EQ(s.Remove("vip").code(), StatusCode::kNotFound);
  EXPECT_EQ(s.Get("vip").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(s.Members("vip"), nullptr);
}

// A computed trait defined (or redefined) after the segments: one column set on every row,
// the segments refreshed on the rows it changed, equal to a fresh evaluation each time.
TEST(SegmentSetTest, SetColumnThenRefreshEqualsFullEvaluation) {
  TraitTable t;
  for (uint32_t r = 0; r < 2000; ++r) t.Upsert(r, {{"v", static_cast<double>(r % 7)}});
  t.Erase(1999);
  t.Optimize();
  SegmentSet s(&t);
  const std::vector<std::string> defs = {"lux = 0", "lux >= 2 and v = 3", "brand = \"Gucci\"", "v >= 0"};
  for (size_t i = 0; i < defs.size(); ++i) ASSERT_TRUE(s.Define("s" + std::to_string(i), defs[i], 0).ok());
  EXPECT_EQ(s.Members("s0")->cardinality(), 0u);  // no such trait yet
  auto check = [&](const char* when) {
    for (size_t i = 0; i < defs.size(); ++i) {
      auto expr = Parse(defs[i]);
      ASSERT_TRUE(expr.ok());
      EXPECT_EQ(*s.Members("s" + std::to_string(i)), Evaluate(*expr, t)) << defs[i] << " " << when;
    }
  };
  std::vector<std::pair<uint32_t, TraitValue>> lux;
  for (uint32_t r = 0; r < 2000; r += 3) lux.emplace_back(r, static_cast<double>(r % 5));
  Roaring changed = t.SetColumn("lux", lux, 0.0);
  EXPECT_EQ(changed.cardinality(), 1999u);  // every live row: missing -> a number
  EXPECT_EQ(t.Value(1999, "lux"), TraitValue());  // not live: untouched
  EXPECT_EQ(t.Value(3, "lux"), TraitValue(3.0));
  EXPECT_EQ(t.Value(4, "lux"), TraitValue(0.0));
  EXPECT_EQ(t.Value(4, "v"), TraitValue(4.0));  // other traits kept
  s.Refresh(changed);
  check("after the definition");

  // Redefined: only the rows whose value differs change.
  std::vector<std::pair<uint32_t, TraitValue>> lux2 = {{3, 3.0}, {10, 2.0}};
  changed = t.SetColumn("lux", lux2, 0.0);
  uint64_t differ = 0;
  for (uint32_t r = 0; r < 1999; ++r) {
    const double was = r % 3 == 0 ? r % 5 : 0;
    const double now = r == 3 ? 3 : r == 10 ? 2 : 0;
    differ += was != now;
  }
  EXPECT_EQ(changed.cardinality(), differ);
  s.Refresh(changed);
  check("after the redefinition");

  std::vector<std::pair<uint32_t, TraitValue>> brands = {{5, std::string("Gucci")}, {6, std::string("Dior")}};
  changed = t.SetColumn("brand", brands, TraitValue());
  EXPECT_EQ(changed.cardinality(), 2u);
  s.Refresh(changed);
  check("after a text trait");
}

TEST(SegmentSetTest, SerializeAndLoad) {
  TraitTable t;
  for (uint32_t r = 0; r < 1000; ++r) t.Upsert(r, {{"v", static_cast<double>(r % 7)}});
  SegmentSet s(&t);
  ASSERT_TRUE(s.Define("sevens", "v = 3", 5).ok());
  std::string bytes = s.Serialize("sevens");
  EXPECT_EQ(s.Serialize("nope"), "");
  SegmentSet other(&t);
  ASSERT_TRUE(other.Load("sevens", "v=3", 4, 5, 6, bytes).ok());
  EXPECT_TRUE(*other.Members("sevens") == *s.Members("sevens"));
  Result<SegmentInfo> info = other.Get("sevens");
  EXPECT_EQ(info->version, 4);
  EXPECT_EQ(info->definition, "v = 3");
  EXPECT_EQ(info->updated_ms, 6);
  EXPECT_EQ(other.Load("x", "v = 3", 1, 1, 1, "garbage").code(), StatusCode::kDataLoss);
  EXPECT_EQ(other.Load("x", "v =", 1, 1, 1, bytes).code(), StatusCode::kInvalidArgument);
}

// Members saved before the table changed (by a process that did not refresh them) are
// stale; Refresh cannot see it, Reconcile brings them to a full evaluation's answer.
TEST(SegmentSetTest, ReconcileMendsMembersSavedBeforeTheTableChanged) {
  TraitTable t;
  for (uint32_t r = 0; r < 1000; ++r) t.Upsert(r, {{"v", static_cast<double>(r % 7)}});
  SegmentSet s(&t);
  ASSERT_TRUE(s.Define("threes", "v = 3", 5).ok());
  ASSERT_TRUE(s.Define("fives", "v = 5", 5).ok());
  std::string threes = s.Serialize("threes"), fives = s.Serialize("fives");

  TraitTable later;  // the same rows, then rows 0..99 turned into 3s and row 3 erased
  for (uint32_t r = 0; r < 1000; ++r) later.Upsert(r, {{"v", static_cast<double>(r < 100 ? 3 : r % 7)}});
  later.Erase(3);
  SegmentSet loaded(&later);
  ASSERT_TRUE(loaded.Load("threes", "v = 3", 1, 5, 5, threes).ok());
  ASSERT_TRUE(loaded.Load("fives", "v = 5", 1, 5, 5, fives).ok());
  SegmentDelta none = loaded.Refresh(later.rows());
  EXPECT_TRUE(none.changes.empty());  // why Load requires exact members
  SegmentDelta d = loaded.Reconcile();
  ASSERT_EQ(d.changes.size(), 2u);
  EXPECT_EQ(d.full, 2u);
  Roaring want3 = Evaluate(*Parse("v = 3"), later), want5 = Evaluate(*Parse("v = 5"), later);
  EXPECT_TRUE(*loaded.Members("threes") == want3);
  EXPECT_TRUE(*loaded.Members("fives") == want5);
  EXPECT_FALSE(loaded.Members("threes")->contains(3u));
  EXPECT_TRUE(loaded.Members("threes")->contains(1u));
  EXPECT_EQ(d.changes[0].name, "fives");  // by name
  EXPECT_TRUE(d.changes[0].left.contains(5u));
  EXPECT_TRUE(d.changes[1].left.contains(3u));
  EXPECT_TRUE(d.changes[1].entered.contains(1u));
  EXPECT_TRUE(loaded.Reconcile().changes.empty());
}

TEST(SegmentSetTest, RefreshSkipsSegmentsWhoseTraitsDidNotChange) {
  TraitTable t;
  for (uint32_t r = 0; r < 100; ++r) t.Upsert(r, {{"a", static_cast<double>(r)}, {"b", 1.0}});
  SegmentSet s(&t);
  ASSERT_TRUE(s.Define("on_a", "a >= 50", 0).ok());
  ASSERT_TRUE(s.Define("on_b", "b = 1", 0).ok());
  t.Upsert(3, {{"a", 70.0}, {"b", 1.0}});
  Roaring changed;
  changed.add(3);
  SegmentDelta d = s.Refresh(changed);
  EXPECT_EQ(d.evaluated, 1u);
  EXPECT_EQ(d.skipped, 1u);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].name, "on_a");
  EXPECT_TRUE(d.changes[0].entered.contains(3));
  EXPECT_TRUE(d.changes[0].left.isEmpty());
  // A new row with no traits enters a segment only an all-missing row satisfies.
  ASSERT_TRUE(s.Define("no_b", "b is null", 0).ok());
  t.Upsert(500, {});
  changed = Roaring();
  changed.add(500);
  d = s.Refresh(changed);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].name, "no_b");
  EXPECT_TRUE(d.changes[0].entered.contains(500));
}

// Incremental Refresh == full re-evaluation after random batches of updates,
// on both paths: diffing the table's recorded old values (the usual case) and
// diffing against current members (large batches, segments defined or loaded
// mid-batch, changed rows that differ from what the table recorded).
TEST(SegmentSetTest, RefreshEqualsFullEvaluation) {
  testing::RandomRows gen(11);
  TraitTable t;
  const int kRows = 6000;
  for (int r = 0; r < kRows; ++r) t.Upsert(static_cast<uint32_t>(r), gen.Row());
  SegmentSet s(&t, 2);
  EXPECT_TRUE(t.tracking());  // the bulk load overflowed it; the set restarted it
  testing::RandomPredicates preds(12);
  std::set<std::string> names;
  for (int i = 0; i < 400; ++i) {
    std::string name = "s" + std::to_string(i);
    ASSERT_TRUE(s.Define(name, preds.Expr(), i).ok());
    names.insert(name);
  }
  auto change = [&](uint32_t row, Roaring* changed) {
    if (gen.Chance(0.08)) {
      t.Erase(row);
    } else {
      t.Upsert(row, gen.Row());
    }
    changed->add(row);
  };
  size_t total_changes = 0, total_diffed = 0;
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::map<std::string, Roaring> before;
    for (const std::string& n : names) before[n] = *s.Members(n);
    Roaring changed;
    int batch = round == 0 ? 1 : round == 6 ? 1200 : 300;  // 1200 > 1/8 of the table
    size_t mid_batch = 0;  // segments defined or loaded after the batch started
    for (int i = 0; i < batch; ++i) {
      uint32_t row = static_cast<uint32_t>(gen.Pick(kRows + 200));
      if (round == 3) {
        if (!t.rows().contains(row)) continue;
        // Only one trait changes: most segments must be skipped.
        TraitRow r = t.GetRow(row);
        for (auto& [k, v] : r) {
          if (k == "flag") v = 1.0 - std::get<double>(v);
        }
        t.Upsert(row, r);
        changed.add(row);
        continue;
      }
      change(row, &changed);
      if (round % 2 == 1 && gen.Chance(0.3)) {
        // Changed again (possibly back and forth) within the batch, or a
        // row added and erased again.
        change(row, &changed);
        if (gen.Chance(0.3)) change(row, &changed);
        uint32_t fresh = static_cast<uint32_t>(kRows + 200 + gen.Pick(100));
        if (gen.Chance(0.2) && !t.rows().contains(fresh)) {
          t.Upsert(fresh, gen.Row());
          t.Erase(fresh);
          changed.add(fresh);
        }
      }
      if ((round == 4 || round == 8) && i == batch / 2) {
        // Mid-batch: new segments, a redefinition, a reload, a removal.
        for (int k = 0; k < 10; ++k) {
          std::string name = "r" + std::to_string(round) + "_" + std::to_string(k);
          ASSERT_TRUE(s.Define(name, preds.Expr(), 0).ok());
          names.insert(name);
          before[name] = *s.Members(name);
        }
        std::string redefined = *std::next(names.begin(), 5);
        ASSERT_TRUE(s.Define(redefined, preds.Expr(), 0).ok());
        before[redefined] = *s.Members(redefined);
        std::string reloaded = *std::next(names.begin(), 9);
        Result<SegmentInfo> info = s.Get(reloaded);
        ASSERT_TRUE(info.ok());
        ASSERT_TRUE(s.Load(reloaded, info->definition, info->version, info->created_ms, info->updated_ms,
                           s.Serialize(reloaded))
                        .ok());
        std::string removed = *std::next(names.begin(), 13);
        ASSERT_TRUE(s.Remove(removed).ok());
        names.erase(removed);
        before.erase(removed);
        mid_batch = 12;
      }
    }
    // Round 10: the caller also reports a row that did not change (it has
    // the same old and new values), which does not stop the diff.
    if (round == 10) {
      uint32_t same = 0;
      while (t.Prior(same) != nullptr) ++same;
      changed.add(same);
    }
    SegmentDelta d = s.Refresh(changed);
    EXPECT_EQ(t.changed_count(), 0u);  // checkpointed
    if (round == 3) {
      EXPECT_GT(d.skipped, 50u);
    }
    EXPECT_EQ(d.evaluated + d.full + d.skipped, names.size());
    EXPECT_LE(d.diffed, d.evaluated);
    if (round == 6) {
      EXPECT_EQ(d.diffed, 0u);
    } else if (round == 4 || round == 8) {
      EXPECT_GT(d.diffed, 0u);
      EXPECT_GE(d.diffed + mid_batch, d.evaluated);
      EXPECT_LT(d.diffed, d.evaluated);  // some mid-batch segment was evaluated the old way
    } else {
      EXPECT_EQ(d.diffed, d.evaluated);  // every segment without percentile() diffed old values
      EXPECT_GT(d.diffed, 0u);
    }
    total_diffed += d.diffed;
    std::map<std::string, const SegmentChange*> by_name;
    for (const SegmentChange& c : d.changes) by_name[c.name] = &c;
    total_changes += d.changes.size();
    for (const std::string& n : names) {
      Result<Expr> e = Parse(s.Get(n)->definition);
      Roaring full = Evaluate(*e, t);
      const Roaring& got = *s.Members(n);
      ASSERT_TRUE(got == full) << "round " << round << " " << n << ": " << s.Get(n)->definition;
      Roaring entered = full - before[n];
      Roaring left = before[n] - full;
      auto it = by_name.find(n);
      if (entered.isEmpty() && left.isEmpty()) {
        EXPECT_TRUE(it == by_name.end()) << n;
      } else {
        ASSERT_TRUE(it != by_name.end()) << n;
        EXPECT_TRUE(it->second->entered == entered) << n;
        EXPECT_TRUE(it->second->left == left) << n;
      }
    }
  }
  EXPECT_GT(total_changes, 100u);
  EXPECT_GT(total_diffed, 1000u);
}

// Refresh keeps changes pending beside each segment's bitmap until a reader
// needs it; sizes must be right all along and the members right when read.
TEST(SegmentSetTest, PendingChangesAccumulateUntilRead) {
  testing::RandomRows gen(21);
  TraitTable t;
  const int kRows = 3000;
  for (int r = 0; r < kRows; ++r) t.Upsert(static_cast<uint32_t>(r), gen.Row());
  SegmentSet s(&t, 2);
  testing::RandomPredicates preds(22, /*percentiles=*/false);
  std::vector<std::string> names;
  for (int i = 0; i < 60; ++i) {
    names.push_back("p" + std::to_string(i));
    ASSERT_TRUE(s.Define(names.back(), preds.Expr(), i).ok());
  }
  for (int round = 0; round < 15; ++round) {
    Roaring changed;
    for (int i = 0; i < 40; ++i) {
      uint32_t row = static_cast<uint32_t>(gen.Pick(kRows + 50));
      if (gen.Chance(0.1)) {
        t.Erase(row);
      } else {
        t.Upsert(row, gen.Row());
      }
      changed.add(row);
    }
    s.Refresh(changed);
    std::map<std::string, Roaring> full_of;
    for (const std::string& n : names) {
      Roaring full = Evaluate(*Parse(s.Get(n)->definition), t);
      ASSERT_EQ(s.Get(n)->size, full.cardinality()) << "round " << round << " " << n;
      full_of[n] = std::move(full);
    }
    // Membership of single rows sees the pending changes too.
    for (uint32_t row = 0; row < 60; ++row) {
      std::vector<std::string> want;
      for (const auto& [n, full] : full_of) {
        if (full.contains(row)) want.push_back(n);
      }
      ASSERT_EQ(s.Containing(row), want) << "round " << round << " row " << row;
    }
    if (round % 5 != 4) continue;
    // Read a third of the segments now, the rest only at the end.
    for (size_t i = round / 5; i < names.size(); i += 3) {
      Roaring full = Evaluate(*Parse(s.Get(names[i])->definition), t);
      ASSERT_TRUE(*s.Members(names[i]) == full) << names[i];
    }
  }
  for (const std::string& n : names) {
    Roaring full = Evaluate(*Parse(s.Get(n)->definition), t);
    ASSERT_TRUE(*s.Members(n) == full) << n;
    std::string bytes = s.Serialize(n);
    ASSERT_TRUE(Roaring::readSafe(bytes.data(), bytes.size()) == full) << n;
  }
}

TEST(SegmentSetTest, TableRecordsRowsAsOfTheCheckpoint) {
  TraitTable t;
  t.Upsert(1, {{"a", 1.0}, {"c", std::string("x")}});
  t.Checkpoint();
  EXPECT_TRUE(t.tracking());
  EXPECT_EQ(t.checkpoint_seq(), t.seq());
  t.Upsert(1, {{"a", 2.0}});
  t.Upsert(1, {{"a", 3.0}});  // only the first change is recorded
  t.Upsert(2, {{"a", 4.0}});
  t.Erase(2);
  t.Erase(7);  // absent: no change
  EXPECT_EQ(t.changed_count(), 2u);
  const TraitTable::PriorRow* p1 = t.Prior(1);
  ASSERT_NE(p1, nullptr);
  EXPECT_TRUE(p1->existed);
  ASSERT_EQ(p1->values.size(), 2u);
  EXPECT_EQ(std::get<double>(p1->values[0].second), 1.0);
  EXPECT_EQ(std::get<std::string>(p1->values[1].second), "x");
  const TraitTable::PriorRow* p2 = t.Prior(2);
  ASSERT_NE(p2, nullptr);
  EXPECT_FALSE(p2->existed);
  EXPECT_EQ(t.Prior(7), nullptr);
  t.Checkpoint();
  EXPECT_EQ(t.Prior(1), nullptr);
  // Too many changed rows: tracking stops until the next checkpoint.
  for (uint32_t r = 10; r < 3000; ++r) t.Upsert(r, {{"a", 1.0}});
  EXPECT_FALSE(t.tracking());
  EXPECT_EQ(t.Prior(10), nullptr);
  EXPECT_EQ(t.changed_count(), 0u);
}

// Two sets over one table: the first Refresh checkpoints the table, so the
// second falls back to its members, and stays exact.
TEST(SegmentSetTest, TwoSetsShareOneTable) {
  TraitTable t;
  for (uint32_t r = 0; r < 100; ++r) t.Upsert(r, {{"a", static_cast<double>(r)}});
  SegmentSet one(&t), two(&t);
  ASSERT_TRUE(one.Define("big", "a >= 50", 0).ok());
  ASSERT_TRUE(two.Define("big", "a >= 50", 0).ok());
  t.Upsert(3, {{"a", 70.0}});
  t.Upsert(60, {{"a", 1.0}});
  Roaring changed;
  changed.add(3);
  changed.add(60);
  SegmentDelta d1 = one.Refresh(changed);
  EXPECT_EQ(d1.diffed, 1u);
  SegmentDelta d2 = two.Refresh(changed);
  EXPECT_EQ(d2.diffed, 0u);
  for (const SegmentDelta* d : {&d1, &d2}) {
    ASSERT_EQ(d->changes.size(), 1u);
    EXPECT_EQ(d->changes[0].entered.toString(), "{3}");
    EXPECT_EQ(d->changes[0].left.toString(), "{60}");
  }
  EXPECT_TRUE(*one.Members("big") == *two.Members("big"));
  EXPECT_EQ(one.Members("big")->cardinality(), 50u);
}

}  // namespace
}  // namespace holo::segment
