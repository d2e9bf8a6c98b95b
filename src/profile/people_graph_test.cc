// The people graph on a store: links indexed by UpdateLinks, ties computed by PeopleOf
// and the household sizes. Every case runs on RocksDB and on the in-memory store.
#include "profile/people_graph.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/coding.h"
#include "storage/keys.h"
#include "testing/store_backends.h"

namespace holo::profile {
namespace {

using storage::Cf;
namespace keys = storage::keys;

using holo::testing::StoreBackend;

class PeopleGraphTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void Update(uint64_t oneid, const LinkSet& links) {
    storage::WriteBatch batch(*store_);
    ASSERT_TRUE(UpdateLinks(*store_, oneid, links, &batch).ok());
    ASSERT_TRUE(store_->Write(&batch, /*sync=*/false).ok());
  }
  // Makes `node` a member of `oneid` in the graph column family (as identity writes it).
  void Member(const keys::Key16& node, uint64_t oneid) {
    storage::WriteBatch batch(*store_);
    std::string id8;
    coding::PutFixed64BE(&id8, oneid);
    batch.Put(Cf::kGraph, keys::NodeOneIdKey(node), id8);
    batch.Put(Cf::kGraph, keys::MemberKey(oneid, node), "");
    ASSERT_TRUE(store_->Write(&batch, /*sync=*/false).ok());
  }
  static LinkSet Links(std::map<char, std::map<std::string, uint32_t>> values) {
    LinkSet s;
    s.values = std::move(values);
    return s;
  }

  holo::testing::ScratchStore store_{GetParam(), "people_graph_test"};
};

INSTANTIATE_TEST_SUITE_P(Backends, PeopleGraphTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<StoreBackend>>);

TEST_P(PeopleGraphTest, SharedAddressMakesAHouseholdAndCardOwnerAFamily) {
  Update(1, Links({{'H', {{"addr-1", 4}}}}));
  Update(2, Links({{'H', {{"addr-1", 1}}}}));
  Update(3, Links({{'H', {{"addr-2", 2}}}}));
  keys::Key16 owner_card{};
  owner_card[0] = 0xab;
  Member(owner_card, 1);
  Update(4, Links({{'F', {{keys::ToHex(owner_card), 3}}}}));

  auto ties = PeopleOf(*store_, 1);
  ASSERT_TRUE(ties.ok()) << ties.status().ToString();
  ASSERT_EQ(ties->size(), 2u);
  std::map<uint64_t, Tie::Kind> by_other;
  for (const Tie& t : *ties) by_other[t.other] = t.kind;
  EXPECT_EQ(by_other.at(2), Tie::Kind::kHousehold);
  EXPECT_EQ(by_other.at(4), Tie::Kind::kFamily);  // 4 pays with 1's card: seen from 1 too
  auto size = HouseholdSize(*store_, 1);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 2u);
  auto lone = HouseholdSize(*store_, 3);
  ASSERT_TRUE(lone.ok());
  EXPECT_EQ(*lone, 1u);
  auto all = AllHouseholdSizes(*store_);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->at(1), 2u);
  EXPECT_EQ(all->at(2), 2u);
  EXPECT_EQ(all->count(3), 0u);
}

TEST_P(PeopleGraphTest, UpdateReplacesTheIndexAndEmptyLinksRemoveIt) {
  Update(1, Links({{'H', {{"addr-1", 1}}}}));
  Update(2, Links({{'H', {{"addr-1", 1}}}}));
  Update(2, Links({{'H', {{"addr-9", 1}}}}));  // moved out
  auto ties = PeopleOf(*store_, 1);
  ASSERT_TRUE(ties.ok());
  EXPECT_TRUE(ties->empty());
  Update(2, Links({{'H', {{"addr-1", 1}}}}));  // moved back
  ties = PeopleOf(*store_, 1);
  ASSERT_TRUE(ties.ok());
  EXPECT_EQ(ties->size(), 1u);
  Update(2, LinkSet());  // erased
  ties = PeopleOf(*store_, 1);
  ASSERT_TRUE(ties.ok());
  EXPECT_TRUE(ties->empty());
  auto rest = store_->NewCursor(Cf::kPeople);
  size_t keys_left = 0;
  for (rest->SeekToFirst(); rest->Valid(); rest->Next()) ++keys_left;
  EXPECT_EQ(keys_left, 2u);  // 1's links and its one index entry
}

TEST_P(PeopleGraphTest, AnAddressSharedByTooManyIsNoHousehold) {
  PeopleOptions options;
  options.max_household = 3;
  for (uint64_t id = 1; id <= 5; ++id) Update(id, Links({{'H', {{"office", 1}}}}));
  auto ties = PeopleOf(*store_, 1, options);
  ASSERT_TRUE(ties.ok());
  EXPECT_TRUE(ties->empty());
  auto size = HouseholdSize(*store_, 1, options);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 1u);
}

}  // namespace
}  // namespace holo::profile
