// The Audiences service over profiles written directly to a store, on both backends:
// segments defined, saved, reloaded by another process, kept current and dropped; the
// computed-trait registry.
#include "engine/audiences.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "profile/trait_row.h"
#include "segment/expr.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "testing/store_backends.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;
using holo::testing::StoreBackend;

class AudiencesTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  // Stores the profile of `oneid` with `order_count` (its JSON and typed trait row) and a
  // new profiles' epoch, as the profile stage writes one.
  void WriteProfile(uint64_t oneid, int order_count) {
    storage::WriteBatch batch(*store_);
    batch.Put(Cf::kProfiles, keys::ProfileKey(oneid),
              R"({"oneid":")" + std::to_string(oneid) + R"(","traits":{"order_count":)" +
                  std::to_string(order_count) + "}}");
    batch.Put(Cf::kSegments, keys::TraitRowKey(oneid),
              profile::EncodeTraitRow({{"order_count", static_cast<double>(order_count)}}));
    batch.Put(Cf::kMeta, keys::kProfilesEpoch, "epoch" + std::to_string(++epoch_));
    ASSERT_TRUE(store_->Write(&batch, /*sync=*/false).ok());
  }
  static std::vector<uint32_t> Ids(const Roaring& r) {
    std::vector<uint32_t> out;
    for (uint32_t id : r) out.push_back(id);
    return out;
  }

  holo::testing::ScratchStore store_{GetParam(), "audiences"};
  int epoch_ = 0;
};

TEST_P(AudiencesTest, ASavedSegmentIsReloadedKeptCurrentAndDropped) {
  WriteProfile(1, 0);
  WriteProfile(2, 3);
  WriteProfile(3, 5);
  {
    Audiences audiences(store_.get(), nullptr);
    ASSERT_TRUE(audiences.LoadComputedTraits().ok());
    auto info = audiences.DefineSegment("buyers", "order_count >= 1", 1000);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    auto members = audiences.Members("buyers");
    ASSERT_TRUE(members.ok());
    EXPECT_EQ(Ids(*members), (std::vector<uint32_t>{2, 3}));
    ASSERT_TRUE(audiences.DefineSegment("buyers", "order_count >= 4", 2000).ok());  // version 2
  }
  // Another process: the saved segment, its members and its history.
  Audiences audiences(store_.get(), nullptr);
  ASSERT_TRUE(audiences.LoadComputedTraits().ok());
  ASSERT_TRUE(audiences.EnsureLoaded().ok());
  auto members = audiences.Members("buyers");
  ASSERT_TRUE(members.ok()) << members.status().ToString();
  EXPECT_EQ(Ids(*members), (std::vector<uint32_t>{3}));
  auto segment = audiences.GetSegment("buyers");
  ASSERT_TRUE(segment.ok()) << segment.status().ToString();
  ASSERT_EQ(segment->second.size(), 2u);
  EXPECT_EQ(segment->second[0].first, 1u);
  EXPECT_EQ(segment->second[1].first, 2u);

  // A profile rebuilt: the membership follows and is saved.
  WriteProfile(1, 9);
  ASSERT_TRUE(audiences.Refresh({1}, /*full=*/false).ok());
  {
    Audiences reloaded(store_.get(), nullptr);
    ASSERT_TRUE(reloaded.EnsureLoaded().ok());
    auto now = reloaded.Members("buyers");
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(Ids(*now), (std::vector<uint32_t>{1, 3}));
  }

  // Dropped: the record, the members and every version go.
  ASSERT_TRUE(audiences.DropSegment("buyers").ok());
  Audiences after(store_.get(), nullptr);
  ASSERT_TRUE(after.EnsureLoaded().ok());
  auto listed = after.ListSegments();
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  auto it = store_->NewCursor(Cf::kSegments);
  for (const char tag : {keys::kSegmentTag, keys::kSegmentVersionTag, keys::kSegmentMembersTag}) {
    it->Seek(std::string(1, tag));
    EXPECT_FALSE(it->Valid() && it->key()[0] == tag) << "left in segments: " << it->key();
  }
  ASSERT_TRUE(it->status().ok());
}

TEST_P(AudiencesTest, RegisteredComputedTraitsAreReadBackAsStored) {
  const std::string definition = "count(Order Completed, 180d)";
  auto expr = segment::Parse(definition);
  ASSERT_TRUE(expr.ok()) << expr.status().ToString();
  std::vector<profile::AggregateSpec> specs = segment::Aggregates(*expr);
  ASSERT_EQ(specs.size(), 1u);
  specs[0].name = "orders_180d";
  {
    Audiences audiences(store_.get(), nullptr);
    ASSERT_TRUE(audiences.RegisterComputedTraits(specs, {definition}).ok());
    EXPECT_TRUE(audiences.IsComputedTrait("orders_180d"));
  }
  Audiences audiences(store_.get(), nullptr);
  ASSERT_TRUE(audiences.LoadComputedTraits().ok());
  EXPECT_TRUE(audiences.IsComputedTrait("orders_180d"));
  auto listed = audiences.ListComputedTraits();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].first, "orders_180d");
  EXPECT_EQ((*listed)[0].second, definition);
}

INSTANTIATE_TEST_SUITE_P(Backends, AudiencesTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<StoreBackend>>);

}  // namespace
}  // namespace holo::engine
