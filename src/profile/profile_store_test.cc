// The profile store's two ways to rebuild dirty profiles — through the node_events
// index, or one scan of every event — give the same bytes, on a store built the way the
// system builds it (a generated world ingested by the engine).
#include "profile/profile_store.h"

#include <gtest/gtest.h>
#include <set>
#include <simdjson.h>
#include "profile/computed_trait.h"
#include "profile/profile_builder.h"
#include "profile/trait_registry.h"
#include "storage/event_record.h"

#include <filesystem>
#include <algorithm>
#include <map>
#include <random>
#include <thread>

#include "common/coding.h"
#include "holo/engine.h"
#include "holo/generate.h"
#include "storage/keys.h"
#include "testing/test_util.h"

namespace holo::profile {
namespace {

using storage::Cf;
namespace keys = storage::keys;

class ProfileStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir("profile_store_test");
    WorldOptions world;
    world.persons = 400;
    world.seed = 7;
    world.out_dir = *dir_ / "world";
    std::filesystem::create_directories(world.out_dir);
    ASSERT_TRUE(GenerateWorld(world, nullptr, nullptr).ok());
    Options options;
    options.data_dir = *dir_ / "data";
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    IngestReport report;
    ASSERT_TRUE((*engine)->Ingest({*dir_ / "world"}, IngestOptions(), &report).ok());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    auto store = storage::Store::Open(*dir_ / "data", storage::StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  std::map<uint64_t, std::string> Profiles() {
    std::map<uint64_t, std::string> out;
    auto it = store_->NewCursor(Cf::kProfiles);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out[coding::DecodeFixed64BE(it->key().data())] = std::string(it->value());
    }
    return out;
  }
  void MarkDirty(const std::vector<uint64_t>& ids) {
    storage::WriteBatch batch(*store_);
    for (uint64_t id : ids) batch.Put(Cf::kMeta, keys::DirtyProfile(id), "");
    ASSERT_TRUE(store_->Write(&batch, false).ok());
  }
  BuildStats Build(BuildOptions options) {
    options.as_of_ms = 1793491200000;  // 2026-11-01: a fixed clock, not the wall clock
    BuildStats stats;
    Status s = BuildPendingProfiles(store_.get(), options, &stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return stats;
  }

  // The event index holds exactly one row per named track event of a resolved owner, under
  // the OneID its owner has now, carrying EventIndexValue, and each OneID's names record
  // lists the names it has rows under: derived here from the events and the graph alone.
  // A name's projection (keys::EventProjectionKey) holds, per OneID, one block of the same
  // rows in seq order, each with its properties cut down to the projected properties (meta
  // keys::EventProjectionMetaKey).
  void ExpectIndexFollowsTheEvents() {
    std::map<std::string, std::string> expected, actual;
    std::map<uint64_t, std::set<std::string>> expected_names, actual_names;
    std::map<uint64_t, uint64_t> expected_rows, actual_rows;
    std::map<std::string, std::vector<std::string>> projections;
    {
      auto m = store_->NewCursor(Cf::kMeta);
      const std::string_view prefix = keys::kEventProjectionPrefix;
      for (m->Seek(prefix); m->Valid() && m->key().starts_with(prefix); m->Next()) {
        std::string_view in = m->value(), name;
        auto& kept = projections[std::string(m->key().substr(prefix.size()))];
        while (!in.empty()) {
          ASSERT_TRUE(coding::GetLengthPrefixed(&in, &name));
          kept.emplace_back(name);
        }
      }
    }
    auto it = store_->NewCursor(Cf::kEvents);
    storage::EventRecord ev;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ASSERT_TRUE(ev.DecodeFrom(it->value()));
      const int owner = AttributionIndex(ev);
      if (owner < 0 || !IndexedForTraits(ev)) continue;
      auto v = store_->Get(Cf::kGraph, keys::NodeOneIdKey(ev.ids[owner].pseudonym));
      ASSERT_TRUE(v.ok());
      if (!v->has_value()) continue;
      const uint64_t oneid = coding::DecodeFixed64BE((*v)->data());
      const uint64_t seq = coding::DecodeFixed64BE(it->key().data());
      expected[keys::EventNameKey(ev.event, oneid, seq)] = EventIndexValue(ev);
      if (auto p = projections.find(ev.event); p != projections.end()) {
        storage::AppendToEventBlock(&expected[keys::EventProjectionKey(ev.event, oneid)],  // in seq order
                                    EventProjectionValue(ev, p->second));
      }
      expected_names[oneid].insert(ev.event);
      expected_rows[oneid]++;
    }
    auto idx = store_->NewCursor(Cf::kEventIndex);
    for (idx->SeekToFirst(); idx->Valid(); idx->Next()) {
      if (idx->key().size() != keys::kEventNamesKeySize) {
        actual[std::string(idx->key())] = std::string(idx->value());
        continue;
      }
      // A OneID's summary: 0, 0, fingerprint u64, row count u64, then its names.
      std::string_view in = idx->value();
      ASSERT_GE(in.size(), 18u);
      ASSERT_EQ(in.substr(0, 2), std::string_view("\0\0", 2));
      const uint64_t oneid = coding::DecodeFixed64BE(idx->key().data() + 1);
      actual_rows[oneid] = coding::DecodeFixed64BE(in.data() + 10);
      in.remove_prefix(18);
      std::string_view name;
      auto& names = actual_names[oneid];
      while (!in.empty()) {
        ASSERT_TRUE(coding::GetLengthPrefixed(&in, &name));
        names.insert(std::string(name));
      }
    }
    ASSERT_GT(expected.size(), 1000u);
    EXPECT_EQ(actual.size(), expected.size());
    EXPECT_TRUE(actual == expected) << "the event index differs from the events it indexes";
    EXPECT_EQ(actual_names, expected_names);
    EXPECT_EQ(actual_rows, expected_rows);
  }
  // Moves every member of OneID `from` to `to`, as a merge by identity would.
  void MoveMembers(uint64_t from, uint64_t to) {
    storage::WriteBatch batch(*store_);
    const std::string prefix = keys::MemberPrefix(from);
    auto it = store_->NewCursor(Cf::kGraph);
    size_t moved = 0;
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      const keys::Key16 node = keys::ToKey16(it->key().substr(prefix.size()));
      batch.Delete(Cf::kGraph, it->key());
      batch.Put(Cf::kGraph, keys::MemberKey(to, node), it->value());
      std::string oneid;
      coding::PutFixed64BE(&oneid, to);
      batch.Put(Cf::kGraph, keys::NodeOneIdKey(node), oneid);
      ++moved;
    }
    ASSERT_GT(moved, 0u);
    ASSERT_TRUE(store_->Write(&batch, false).ok());
  }

  static testing::TempDir* dir_;
  std::unique_ptr<storage::Store> store_;
};
testing::TempDir* ProfileStoreTest::dir_ = nullptr;

AggregateSpec Spec(AggFunc func, std::string event, std::string property, int window_days, std::string name,
                   std::vector<Condition> where = {}) {
  AggregateSpec spec;
  spec.func = func;
  spec.event = std::move(event);
  spec.property = std::move(property);
  spec.window_days = window_days;
  spec.name = std::move(name);
  spec.where = std::move(where);
  return spec;
}

TEST_F(ProfileStoreTest, IndexAndFullScanWriteTheSameProfiles) {
  std::map<uint64_t, std::string> before = Profiles();
  ASSERT_GT(before.size(), 300u);
  std::vector<uint64_t> dirty;
  size_t i = 0;
  for (const auto& [id, json] : before) {
    if (i++ % 3 == 0) dirty.push_back(id);
  }
  const uint64_t gone = before.rbegin()->first + 1000;  // a OneID with no members left
  dirty.push_back(gone);
  // Overwrite the chosen profiles so that a rebuild that skipped one would show.
  {
    storage::WriteBatch batch(*store_);
    for (uint64_t id : dirty) batch.Put(Cf::kProfiles, keys::ProfileKey(id), "stale");
    ASSERT_TRUE(store_->Write(&batch, false).ok());
  }

  MarkDirty(dirty);
  BuildOptions by_index;
  by_index.full_threshold = 1e9;
  BuildStats a = Build(by_index);
  EXPECT_FALSE(a.full);
  EXPECT_EQ(a.dirty, dirty.size());
  EXPECT_EQ(a.deleted, 1u);
  EXPECT_EQ(a.written, dirty.size() - 1);
  EXPECT_GT(a.events_scanned, 0u);
  std::map<uint64_t, std::string> indexed = Profiles();

  MarkDirty(dirty);
  BuildOptions full;
  full.force_full = true;
  BuildStats b = Build(full);
  EXPECT_TRUE(b.full);
  EXPECT_EQ(b.written, a.written);
  EXPECT_EQ(b.changed, a.changed);
  std::map<uint64_t, std::string> scanned = Profiles();

  EXPECT_EQ(indexed.count(gone), 0u);
  ASSERT_EQ(indexed.size(), scanned.size());
  size_t with_orders = 0;
  for (const auto& [id, json] : scanned) {
    ASSERT_EQ(indexed[id], json) << "OneID " << id;
    EXPECT_NE(json, "stale");
    if (json.find("\"order_count\":0") == std::string::npos) with_orders++;
  }
  EXPECT_GT(with_orders, 50u) << "the world's buyers have orders in their rebuilt profiles";
  // No dirty marks are left behind.
  EXPECT_EQ(Build(BuildOptions()).dirty, 0u);

  // The same full build in parts of 7 OneIDs (each part reads its own events): the same.
  MarkDirty(dirty);
  {
    storage::WriteBatch batch(*store_);
    for (uint64_t id : dirty) batch.Put(Cf::kProfiles, keys::ProfileKey(id), "stale");
    ASSERT_TRUE(store_->Write(&batch, false).ok());
  }
  BuildOptions parts = full;
  parts.full_build_chunk = 7;
  BuildStats c = Build(parts);
  EXPECT_TRUE(c.full);
  EXPECT_EQ(c.written, a.written);
  EXPECT_EQ(c.deleted, 1u);
  EXPECT_EQ(c.changed, a.changed);
  EXPECT_EQ(Profiles(), scanned);
  EXPECT_EQ(Build(BuildOptions()).dirty, 0u);
}

// A first build of every profile (no event index yet), in one part and in parts of 11
// OneIDs: the same profiles and the same index.
TEST_F(ProfileStoreTest, FullBuildInPartsEqualsOnePart) {
  const std::map<uint64_t, std::string> before = Profiles();
  std::vector<uint64_t> ids;
  for (const auto& [id, json] : before) ids.push_back(id);
  auto drop_index = [&] {
    storage::WriteBatch batch(*store_);
    auto it = store_->NewCursor(Cf::kEventIndex);
    for (it->SeekToFirst(); it->Valid(); it->Next()) batch.Delete(Cf::kEventIndex, it->key());
    ASSERT_TRUE(store_->Write(&batch, false).ok());
  };
  std::map<uint64_t, std::string> one_part;
  for (size_t chunk : {size_t{1} << 30, size_t{11}}) {
    drop_index();
    MarkDirty(ids);
    BuildOptions options;
    options.force_full = true;
    options.full_build_chunk = chunk;
    BuildStats stats = Build(options);
    EXPECT_TRUE(stats.full);
    EXPECT_EQ(stats.written, ids.size()) << chunk;
    if (one_part.empty()) {
      one_part = Profiles();
      EXPECT_EQ(one_part.size(), before.size());
    } else {
      EXPECT_TRUE(Profiles() == one_part) << "OneIDs per part: " << chunk;
    }
    ExpectIndexFollowsTheEvents();
    // Over the index just written, a full build in parts finds every row as it is.
    MarkDirty(ids);
    BuildStats again = Build(options);
    EXPECT_EQ(again.index_rewritten, 0u) << chunk;
    ExpectIndexFollowsTheEvents();
  }
}

TEST_F(ProfileStoreTest, EventIndexFollowsTheOneIdsThroughEveryRebuild) {
  ExpectIndexFollowsTheEvents();  // as the engine's ingest and first resolution left it
  // Projections of "Order Completed" (a trait reading category and price) and of "Product
  // Viewed" (a plain count, which keeps no property): every rebuild below keeps them current.
  for (const AggregateSpec& spec :
       {Spec(AggFunc::kSum, "Order Completed", "price", 0, "projected_spend",
             {Condition{"category", Condition::Op::kEq, {"electronics"}, false}}),
        Spec(AggFunc::kCount, "Product Viewed", "", 30, "projected_views")}) {
    BuildStats st;
    ComputedColumn col;
    ASSERT_TRUE(AddComputedTrait(store_.get(), spec, 1793491200000, /*replace=*/false, &st, &col).ok());
    EXPECT_GT(st.projection_rows, 100u) << spec.TraitName();
  }
  ExpectIndexFollowsTheEvents();
  const auto before = Profiles();
  ASSERT_GT(before.size(), 10u);
  std::vector<uint64_t> ids;
  for (const auto& [id, json] : before) ids.push_back(id);

  // A merge: the first OneID's members join the second; rebuilt through the node index, the
  // merged-away OneID loses every row and its names, the other gains them.
  MoveMembers(ids[0], ids[1]);
  MarkDirty({ids[0], ids[1]});
  BuildOptions by_index;
  by_index.full_threshold = 1e9;
  BuildStats a = Build(by_index);
  EXPECT_FALSE(a.full);
  EXPECT_EQ(a.deleted, 1u);
  ExpectIndexFollowsTheEvents();

  // The same through the one scan of all events, for a third of the OneIDs after another move.
  MoveMembers(ids[2], ids[3]);
  std::vector<uint64_t> dirty;
  for (size_t i = 2; i < ids.size(); i += 3) dirty.push_back(ids[i]);
  dirty.push_back(ids[3]);
  MarkDirty(dirty);
  BuildOptions full;
  full.force_full = true;
  BuildStats b = Build(full);
  EXPECT_TRUE(b.full);
  // Only the two OneIDs whose events changed get their rows rewritten (ids[2] lost them all,
  // ids[3] gained them); the other dirty OneIDs' rows matched their fingerprints.
  EXPECT_EQ(b.index_rewritten, 2u);
  ExpectIndexFollowsTheEvents();

  // A full build of every profile with nothing changed (`resolve --full`) rewrites no row.
  MarkDirty(ids);
  BuildStats c = Build(full);
  EXPECT_EQ(c.dirty, ids.size());
  EXPECT_EQ(c.index_rewritten, 0u);
  ExpectIndexFollowsTheEvents();

  // An event rewritten in place (as an erasure rewrites the events others share with the
  // erased person): the same key, another value; only its OneID's rows are rewritten.
  {
    auto it = store_->NewCursor(Cf::kEvents);
    storage::EventRecord ev;
    std::string key;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ASSERT_TRUE(ev.DecodeFrom(it->value()));
      if (IndexedForTraits(ev) && AttributionIndex(ev) >= 0) {
        key = std::string(it->key());
        break;
      }
    }
    ASSERT_FALSE(key.empty());
    ev.properties_json = R"({"rewritten":true})";
    std::string value;
    ev.EncodeTo(&value);
    ASSERT_TRUE(store_->Put(Cf::kEvents, key, value, false).ok());
  }
  MarkDirty(ids);
  BuildStats d = Build(full);
  EXPECT_EQ(d.index_rewritten, 1u);
  ExpectIndexFollowsTheEvents();

  // And the other way: every member of the second OneID (its own and the merged ones) to the first.
  MoveMembers(ids[1], ids[0]);
  MarkDirty({ids[0], ids[1]});
  Build(by_index);
  ExpectIndexFollowsTheEvents();
}

// Every profile's typed trait row holds the values of its JSON's "traits", in order, whichever
// path wrote it (rebuild through the node index, one full scan, the backfill of an older
// store), and a row read with computed traits joined equals the JSON read with them joined.
TEST_F(ProfileStoreTest, TypedTraitRowsHoldWhatTheJsonHolds) {
  auto expect_rows_match = [&](const std::vector<AggregateSpec>& computed, const char* when) {
    size_t n = 0;
    for (const auto& [id, stored] : Profiles()) {
      auto json = ReadProfile(*store_, id, computed);
      ASSERT_TRUE(json.ok() && json->has_value());
      auto from_json = TraitRowFromProfileJson(**json);
      ASSERT_TRUE(from_json.ok()) << from_json.status().ToString();
      auto typed = ReadTraitRow(*store_, id, computed);
      ASSERT_TRUE(typed.ok()) << typed.status().ToString();
      ASSERT_TRUE(typed->has_value()) << when << ": no typed row for OneID " << id;
      ASSERT_EQ(**typed, *from_json) << when << ": OneID " << id;
      ++n;
    }
    EXPECT_GT(n, 300u) << when;
  };
  std::vector<uint64_t> all;
  for (const auto& [id, json] : Profiles()) all.push_back(id);
  MarkDirty(all);
  BuildOptions full;
  full.force_full = true;
  Build(full);
  expect_rows_match({}, "full scan");
  std::vector<uint64_t> some(all.begin(), all.begin() + 50);
  MarkDirty(some);
  BuildOptions by_index;
  by_index.full_threshold = 1e9;
  EXPECT_FALSE(Build(by_index).full);
  expect_rows_match({}, "node index");

  // A store from before typed rows: the backfill writes them from the JSON.
  {
    storage::WriteBatch batch(*store_);
    const std::string prefix(1, keys::kTraitRowTag);
    auto it = store_->NewCursor(Cf::kSegments);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      batch.Delete(Cf::kSegments, it->key());
    }
    ASSERT_GT(batch.Count(), 300u);
    ASSERT_TRUE(store_->Write(&batch, false).ok());
    auto gone = ReadTraitRow(*store_, all[0], {});
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value());
    uint64_t rows = 0;
    ASSERT_TRUE(BackfillTraitRows(store_.get(), &rows).ok());
    EXPECT_EQ(rows, Profiles().size());
  }
  expect_rows_match({}, "backfill");

  // Computed traits joined: numbers, texts, and the default of those without a value.
  std::vector<AggregateSpec> computed = {
      Spec(AggFunc::kCount, "Order Completed", "", 0, "orders_all"),
      Spec(AggFunc::kLast, "Product Viewed", "brand", 0, "brand_last"),
  };
  for (const AggregateSpec& spec : computed) {
    BuildStats stats;
    ComputedColumn column;
    ASSERT_TRUE(AddComputedTrait(store_.get(), spec, 1793491200000, /*replace=*/false, &stats, &column).ok());
    EXPECT_GT(column.oneids.size(), 10u);
    EXPECT_LT(column.oneids.size(), all.size());
  }
  expect_rows_match(computed, "computed traits joined");
  // A profile removed with its OneID loses its typed row.
  MarkDirty({all.back() + 1000});
  Build(by_index);
  auto none = ReadTraitRow(*store_, all.back() + 1000, {});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(ProfileStoreTest, ScansAllEventsWhenTheDirtyProfilesHoldMostOfThem) {
  std::vector<uint64_t> all;
  for (const auto& [id, json] : Profiles()) all.push_back(id);
  MarkDirty(all);
  BuildOptions options;
  options.full_threshold = 0.2;  // all profiles are dirty, and they hold all events
  BuildStats stats = Build(options);
  EXPECT_TRUE(stats.full);
  EXPECT_EQ(stats.written, all.size());

  // Many new people with few events each (a burst of new visitors) are read through the
  // index even when they are over the threshold's share of profiles, as long as their
  // events are under the same share of all events. Here: the 3 smallest profiles, with a
  // threshold of 2 profiles' worth, i.e. twice the average person's events.
  std::vector<std::pair<size_t, uint64_t>> by_size;
  for (const auto& [id, json] : Profiles()) by_size.emplace_back(json.size(), id);
  std::sort(by_size.begin(), by_size.end());
  std::vector<uint64_t> few = {by_size[0].second, by_size[1].second, by_size[2].second};
  MarkDirty(few);
  options.full_threshold = 2.0 / static_cast<double>(all.size());
  stats = Build(options);
  EXPECT_EQ(stats.written, 3u);
  EXPECT_FALSE(stats.full) << stats.events_scanned << " events";
}

// The trait registry is the truth of what profiles hold: every trait a built profile writes
// is registered with the JSON type it has, every registered trait is written, and
// docs/traits.md documents each.
TEST_F(ProfileStoreTest, ProfilesWriteExactlyTheRegisteredTraitsWithTheirTypes) {
  simdjson::dom::parser parser;
  std::set<std::string> seen;
  for (const auto& [id, json] : Profiles()) {
    simdjson::dom::object traits;
    ASSERT_EQ(parser.parse(json)["traits"].get_object().get(traits), simdjson::SUCCESS) << json;
    for (auto [key, value] : traits) {
      if (key.starts_with(kClientTraitPrefix)) continue;  // the client's own identify traits
      const TraitInfo* info = FindBuiltinTrait(key);
      ASSERT_NE(info, nullptr) << "unregistered trait " << key;
      seen.insert(std::string(key));
      if (value.is_null()) continue;
      switch (info->type) {
        case TraitType::kNumber:
          EXPECT_TRUE(value.is_number()) << key;
          break;
        case TraitType::kBool:
          EXPECT_TRUE(value.is_bool()) << key;
          break;
        case TraitType::kString:
          EXPECT_TRUE(value.is_string()) << key;
          break;
        case TraitType::kStringList:
          EXPECT_TRUE(value.is_array()) << key;
          break;
      }
    }
  }
  const std::string docs = testing::ReadFile(std::string(HOLO_SOURCE_DIR) + "/docs/traits.md");
  for (const TraitInfo& t : BuiltinTraits()) {
    if (t.name != "household_size") EXPECT_TRUE(seen.count(std::string(t.name))) << t.name << " is never written";
    EXPECT_NE(docs.find(std::string(t.name)), std::string::npos) << t.name << " is not in docs/traits.md";
  }
}

// Each computed trait's value and trait_meta in every profile as readers see them (the
// columns joined, defaults included): OneID -> "name=value meta; ...".
std::map<uint64_t, std::string> ComputedValues(const storage::Store& store, const std::map<uint64_t, std::string>& profiles,
                                               const std::vector<AggregateSpec>& specs) {
  std::map<uint64_t, std::string> out;
  simdjson::dom::parser parser;
  ComputedTraitReader reader(store, specs);
  for (auto [id, json] : profiles) {
    EXPECT_TRUE(reader.Join(id, &json).ok());
    simdjson::dom::element root;
    EXPECT_EQ(parser.parse(json).get(root), simdjson::SUCCESS);
    std::string& line = out[id];
    for (const AggregateSpec& spec : specs) {
      simdjson::dom::element v, m;
      line += spec.TraitName() + "=";
      line += root["traits"][spec.TraitName()].get(v) == simdjson::SUCCESS ? simdjson::minify(v) : "missing";
      line += " ";
      line += root["trait_meta"][spec.TraitName()].get(m) == simdjson::SUCCESS ? simdjson::minify(m) : "-";
      line += "; ";
    }
  }
  return out;
}

// Defining a computed trait through the event index (AddComputedTrait) gives every profile
// the value and meta that a rebuild from all events gives, writes no profile and only the
// OneIDs with a value, and a redefinition removes the values the new definition does not
// give. Rows of the index written before it carried a projection (empty values) give the
// same. Profiles joined one at a time (ReadProfile) equal profiles joined in order.
// Events past their source's retention window count for nobody, whether the compaction has
// dropped them yet or not, read from the rows or from a projection.
TEST_F(ProfileStoreTest, RetentionWindowsHoldForRowsAndProjectionsAlike) {
  const int64_t as_of = 1793491200000, day = 86400000;
  const AggregateSpec spec = Spec(AggFunc::kCount, "Product Viewed", "", 0, "views_retained");
  auto total = [&](bool projection) {
    BuildStats st;
    ComputedColumn col;
    EXPECT_TRUE(AddComputedTrait(store_.get(), spec, as_of, /*replace=*/true, &st, &col, projection).ok());
    double sum = 0;
    for (double v : col.numbers) sum += v;
    return sum;
  };
  const double all = total(false);
  ASSERT_GT(all, 100);
  EXPECT_EQ(total(true), all);
  std::map<std::string, int64_t> windows;
  auto it = store_->NewCursor(Cf::kEvents);
  storage::EventRecord ev;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ASSERT_TRUE(ev.DecodeFrom(it->value()));
    windows[ev.source] = 60 * day;
  }
  store_->retention().SetClock(as_of);
  store_->retention().Set(windows);
  const double kept_rows = total(false), kept_projected = total(true);
  store_->retention().Set({});
  store_->retention().SetClock(0);
  EXPECT_LT(kept_rows, all);
  EXPECT_GT(kept_rows, 0);
  EXPECT_EQ(kept_projected, kept_rows);
}

TEST_F(ProfileStoreTest, AddComputedTraitEqualsARebuildFromAllEvents) {
  const int64_t as_of = 1793491200000;
  std::vector<AggregateSpec> specs = {
      Spec(AggFunc::kCount, "Order Completed", "", 90, "orders_90d"),
      Spec(AggFunc::kSum, "Order Completed", "price", 0, "spend_electronics",
           {Condition{"category", Condition::Op::kEq, {"electronics"}, false}}),
      Spec(AggFunc::kMax, "Order Completed", "revenue", 0, "max_order",
           {Condition{"revenue", Condition::Op::kGt, {"100"}, true}}),
      Spec(AggFunc::kLast, "Product Viewed", "brand", 0, "last_brand"),
      Spec(AggFunc::kMostFrequent, "Product Viewed", "category", 30, "top_viewed"),
      Spec(AggFunc::kDistinct, "Product Viewed", "brand", 0, "brands_seen"),
  };
  const auto base = Profiles();
  std::set<uint64_t> written;
  for (const AggregateSpec& spec : specs) {
    BuildStats stats;
    ComputedColumn column;
    ASSERT_TRUE(AddComputedTrait(store_.get(), spec, as_of, /*replace=*/false, &stats, &column).ok());
    EXPECT_GT(stats.events_scanned, 0u) << spec.TraitName();
    EXPECT_GT(stats.written, 0u) << spec.TraitName();
    EXPECT_LT(stats.written, base.size()) << spec.TraitName() << ": only the OneIDs with a value";
    EXPECT_EQ(column.oneids, stats.changed);
    EXPECT_EQ(column.numeric ? column.numbers.size() : column.texts.size(), column.oneids.size());
    ComputedColumn read;
    ASSERT_TRUE(ReadComputedColumn(*store_, spec, &read).ok());
    EXPECT_EQ(read.oneids, column.oneids);
    EXPECT_EQ(read.numbers, column.numbers);
    EXPECT_EQ(read.texts, column.texts);
    // Read from the full rows instead of the projection: the same column.
    BuildStats full_stats;
    ComputedColumn from_rows;
    ASSERT_TRUE(AddComputedTrait(store_.get(), spec, as_of, /*replace=*/true, &full_stats, &from_rows,
                                 /*use_projection=*/false)
                    .ok());
    EXPECT_EQ(from_rows.oneids, column.oneids) << spec.TraitName();
    EXPECT_EQ(from_rows.numbers, column.numbers) << spec.TraitName();
    EXPECT_EQ(from_rows.texts, column.texts) << spec.TraitName();
  }
  ExpectIndexFollowsTheEvents();  // the projections the definitions built
  EXPECT_EQ(Profiles(), base);  // no profile written
  const auto defined = ComputedValues(*store_, base, specs);
  for (const auto& [id, line] : defined) {
    auto one = ReadProfile(*store_, id, specs);
    ASSERT_TRUE(one.ok() && one->has_value());
    EXPECT_EQ(ComputedValues(*store_, {{id, base.at(id)}}, specs)[id], line);
  }

  std::vector<uint64_t> all;
  for (const auto& [id, json] : base) all.push_back(id);
  BuildOptions full;
  full.force_full = true;
  full.computed = std::make_shared<const std::vector<AggregateSpec>>(specs);
  MarkDirty(all);
  Build(full);
  EXPECT_EQ(ComputedValues(*store_, Profiles(), specs), defined);
  size_t holders = 0;
  for (const auto& [id, line] : defined) holders += line.find("orders_90d=0 ") == std::string::npos;
  EXPECT_GT(holders, 20u);

  // Redefined: orders_90d becomes a count of views over 7 days.
  specs[0] = Spec(AggFunc::kCount, "Product Viewed", "", 7, "orders_90d");
  BuildStats stats;
  ComputedColumn column;
  ASSERT_TRUE(AddComputedTrait(store_.get(), specs[0], as_of, /*replace=*/true, &stats, &column).ok());
  const auto redefined = ComputedValues(*store_, Profiles(), specs);
  EXPECT_NE(redefined, defined);
  full.computed = std::make_shared<const std::vector<AggregateSpec>>(specs);  // the build's snapshot of the registry
  MarkDirty(all);
  Build(full);
  EXPECT_EQ(ComputedValues(*store_, Profiles(), specs), redefined);

  // The index rebuilt from the events (a store of an older layout, whose rows all go: here
  // one keyed by sequence, as version 2 wrote them) gives the same values.
  {
    const std::string old_row = keys::EventNamePrefix("Order Completed") + std::string(8, '\1');
    ASSERT_TRUE(store_->Put(Cf::kEventIndex, old_row, "x", false).ok());
    uint64_t rows = 0;
    ASSERT_TRUE(RebuildEventIndex(store_.get(), &rows).ok());
    EXPECT_GT(rows, 1000u);
    auto v = store_->Get(Cf::kEventIndex, old_row);
    ASSERT_TRUE(v.ok());
    EXPECT_FALSE(v->has_value());
    ExpectIndexFollowsTheEvents();
  }
  specs[1].name = "spend_electronics_again";
  ASSERT_TRUE(AddComputedTrait(store_.get(), specs[1], as_of, /*replace=*/false, &stats, &column).ok());
  std::map<std::string, std::string> again, first;
  for (const auto& [id, line] : ComputedValues(*store_, Profiles(), specs)) {
    const size_t at = line.find("spend_electronics_again=");
    const size_t end = line.find("; ", at);
    again[std::to_string(id)] = line.substr(at + 24, end - at - 24);
  }
  specs[1].name = "spend_electronics";
  for (const auto& [id, line] : ComputedValues(*store_, Profiles(), specs)) {
    const size_t at = line.find("spend_electronics=");
    const size_t end = line.find("; ", at);
    first[std::to_string(id)] = line.substr(at + 18, end - at - 18);
  }
  EXPECT_EQ(again, first);

  // A store from before computed traits were stored apart: values in the profile JSON
  // move to their columns, and readers see the same.
  {
    specs.resize(1);
    specs[0] = Spec(AggFunc::kCount, "Order Completed", "", 0, "legacy");
    const uint64_t id = all[0], other = all[1];
    std::string json = base.at(id), plain = base.at(other);
    json.insert(json.find("},\"trait_meta\":"), R"(,"legacy":3)");
    json.insert(json.find("},\"completeness\":"), R"(,"legacy":{"sources":["tmall"],"events":3,"confidence":1})");
    plain.insert(plain.find("},\"trait_meta\":"), R"(,"legacy":0)");
    storage::WriteBatch batch(*store_);
    batch.Put(Cf::kProfiles, keys::ProfileKey(id), json);
    batch.Put(Cf::kProfiles, keys::ProfileKey(other), plain);
    ASSERT_TRUE(store_->Write(&batch, false).ok());
    auto before = ReadProfile(*store_, id, specs);  // the old value wins until moved
    ASSERT_TRUE(before.ok() && before->has_value());
    EXPECT_NE((*before)->find(R"("legacy":3)"), std::string::npos);
    uint64_t moved = 0;
    ASSERT_TRUE(MoveComputedTraitsToColumns(store_.get(), {"legacy"}, &moved).ok());
    EXPECT_EQ(moved, 2u);
    const auto now = Profiles();
    EXPECT_EQ(now.at(id), base.at(id));
    EXPECT_EQ(now.at(other), base.at(other));
    auto after = ReadProfile(*store_, id, specs);
    ASSERT_TRUE(after.ok() && after->has_value());
    EXPECT_EQ(**after, json);
    ComputedColumn legacy;
    ASSERT_TRUE(ReadComputedColumn(*store_, specs[0], &legacy).ok());
    EXPECT_EQ(legacy.oneids, std::vector<uint64_t>{id});
    EXPECT_EQ(legacy.numbers, std::vector<double>{3});
  }

  // Back to profiles without computed traits (the other tests share the store).
  MarkDirty(all);
  BuildOptions plain;
  plain.force_full = true;
  Build(plain);
}

}  // namespace
}  // namespace holo::profile

namespace holo::profile {
namespace {

// A definition over many OneIDs is scanned in OneID ranges on parallel threads (one per
// core): the column is the same as one accumulator per OneID fed every row, with every
// OneID once and in order, whatever the ranges' edges (OneIDs with gaps, OneIDs with many
// rows, rows out of the window, a range edge falling inside nobody's rows).
TEST(AddComputedTraitScanTest, ParallelRangesGiveTheSameColumnAsOnePass) {
  std::unique_ptr<storage::Store> store = storage::Store::OpenInMemory();
  constexpr int64_t kDay = 86'400'000;
  const int64_t now = 2000 * kDay;
  AggregateSpec spec;
  spec.func = AggFunc::kSum;
  spec.event = "Order Completed";
  spec.property = "price";
  spec.where.push_back(Condition{"category", Condition::Op::kEq, {"luxury"}, false});
  spec.window_days = 30;
  spec.name = "lux_30d";
  std::map<uint64_t, ComputedTraitAccumulator> expected;
  std::mt19937_64 rng(11);
  storage::WriteBatch batch(*store);
  uint64_t seq = 0;
  for (uint64_t oneid = 3; oneid < 40000; oneid += 1 + rng() % 3) {
    const int rows = oneid % 97 == 0 ? 40 : static_cast<int>(rng() % 4);
    for (int r = 0; r < rows; ++r) {
      storage::EventRecord ev;
      ev.msg_type = 2;
      ev.event = spec.event;
      ev.source = rng() % 2 ? "taobao" : "eleme";
      ev.timestamp_ms = now - static_cast<int64_t>(rng() % 60) * kDay;
      ev.properties_json = std::string(R"({"category":")") + (rng() % 3 == 0 ? "luxury" : "books") +
                           R"(","price":)" + std::to_string(rng() % 500) + "}";
      batch.Put(Cf::kEventIndex, keys::EventNameKey(ev.event, oneid, ++seq), EventIndexValue(ev));
      auto [it, added] = expected.try_emplace(oneid, &spec);
      it->second.Add(ev, now);
    }
  }
  ASSERT_TRUE(store->Write(&batch, false).ok());
  BuildStats stats;
  ComputedColumn column;
  ASSERT_TRUE(AddComputedTrait(store.get(), spec, now, /*replace=*/false, &stats, &column).ok());
  EXPECT_EQ(stats.events_scanned, seq);
  std::vector<uint64_t> want_ids;
  std::vector<double> want_values;
  for (const auto& [oneid, acc] : expected) {
    if (acc.events() == 0) continue;
    want_ids.push_back(oneid);
    want_values.push_back(acc.NumberValue());
  }
  ASSERT_GT(want_ids.size(), 3000u);
  if (std::thread::hardware_concurrency() >= 2) EXPECT_GE(stats.scan_threads, 2u);  // the ranges did split
  EXPECT_EQ(column.oneids, want_ids);
  EXPECT_EQ(column.numbers, want_values);
  // What was written is what was returned.
  ComputedColumn stored;
  ASSERT_TRUE(ReadComputedColumn(*store, spec, &stored).ok());
  EXPECT_EQ(stored.oneids, want_ids);
  EXPECT_EQ(stored.numbers, want_values);
}

}  // namespace
}  // namespace holo::profile
