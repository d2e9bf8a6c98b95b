// ProfileStage on both backends: the marked profiles rebuilt with the clock and consent of
// the moment and handed to the audiences, every profile on RebuildAll, the backfill of a
// store without an event index, and the warning when the data ends long before the clock.
#include "engine/profile_stage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/coding.h"
#include "engine/audiences.h"
#include "engine/consent_index.h"
#include "engine/consent_test_util.h"
#include "storage/event_record.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "testing/store_backends.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;
using holo::testing::StoreBackend;
using consent_test::Node;

constexpr int64_t kDay = 86400000;
constexpr int64_t kNow = 1793491200000;  // 2026-11-01

class ProfileStageTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  // An "Order Completed" of `revenue` by `node` (a user id) at `ts`, stored as ingest stores
  // it: the event, its node index entry, the newest event time.
  void Order(uint64_t seq, const privacy::Pseudonym& node, double revenue, int64_t ts) {
    storage::EventRecord e;
    e.msg_type = 2;  // track
    e.timestamp_ms = ts;
    e.source = "web";
    e.event = "Order Completed";
    e.message_id = "m" + std::to_string(seq);
    e.properties_json = R"({"revenue":)" + std::to_string(revenue) + "}";
    storage::EventId id;
    id.pseudonym = node;
    id.role = 1;  // ingest::IdRole::kUserId
    id.type = "user_id@web";
    e.ids.push_back(std::move(id));
    std::string value;
    e.EncodeTo(&value);
    storage::WriteBatch batch(*store_);
    batch.Put(Cf::kEvents, keys::EventKey(seq), value);
    batch.Put(Cf::kNodeEvents, keys::NodeEventKey(node, seq), "");
    newest_ = std::max(newest_, ts);
    std::string newest;
    coding::PutFixed64BE(&newest, static_cast<uint64_t>(newest_));
    batch.Put(Cf::kMeta, keys::kMaxTimestamp, newest);
    ASSERT_TRUE(store_->Write(&batch, /*sync=*/false).ok());
  }
  void Mark(uint64_t oneid) { ASSERT_TRUE(store_->Put(Cf::kMeta, keys::DirtyProfile(oneid), "", false).ok()); }
  std::string Profile(uint64_t oneid) {
    auto v = store_->Get(Cf::kProfiles, keys::ProfileKey(oneid));
    EXPECT_TRUE(v.ok());
    return v.ok() && v->has_value() ? **v : std::string();
  }
  // Members of `expression` in the audiences' trait table.
  uint64_t Count(const std::string& expression) {
    auto group = audiences_.GroupOf(expression, /*unknown_trait_is_error=*/false);
    EXPECT_TRUE(group.ok()) << group.status().ToString();
    return group.ok() ? group->cardinality() : 0;
  }
  size_t Marks() {
    size_t n = 0;
    auto it = store_->NewCursor(Cf::kMeta);
    for (it->Seek(keys::kDirtyProfilePrefix); it->Valid() && it->key().starts_with(keys::kDirtyProfilePrefix);
         it->Next()) {
      ++n;
    }
    return n;
  }

  holo::testing::ScratchStore store_{GetParam(), "profile_stage"};
  ConsentIndex consent_{store_.get()};
  Audiences audiences_{store_.get(), nullptr};
  int64_t now_ = kNow;
  int64_t newest_ = 0;
  std::vector<std::string> log_;
  ProfileStage stage_{store_.get(), &consent_, &audiences_, [this] { return now_; }};
};

TEST_P(ProfileStageTest, RebuildsTheMarkedProfilesWithTheClockAndConsentOfTheMoment) {
  stage_.SetLog([this](const std::string& line) { log_.push_back(line); });
  ASSERT_TRUE(audiences_.EnsureLoaded().ok());  // a loaded table follows every rebuild
  consent_test::Place(store_.get(), Node(1), 1);
  consent_test::Place(store_.get(), Node(2), 2);
  Order(1, Node(1), 30, kNow - 10 * kDay);
  Order(2, Node(2), 70, kNow - 200 * kDay);
  Mark(1);
  ASSERT_TRUE(stage_.RebuildMarked().ok());
  EXPECT_NE(Profile(1).find(R"("order_count":1)"), std::string::npos) << Profile(1);
  EXPECT_TRUE(Profile(2).empty()) << "not marked: not built";
  EXPECT_EQ(Marks(), 0u);
  // The audiences took the change (the trait table sees OneID 1's row).
  EXPECT_EQ(Count("order_count >= 1"), 1u);

  // Consent from the ledger: a grant recorded for OneID 2, then every profile rebuilt.
  privacy::ConsentRecord grant;
  grant.node = Node(2);
  grant.purpose = consent_test::Purpose("marketing");
  grant.ts_ms = kNow - kDay;
  grant.given = true;
  grant.source = "web";
  ASSERT_TRUE(store_->Put(Cf::kConsent, privacy::ConsentKey(grant), privacy::ConsentValue(grant), false).ok());
  uint64_t written = 0;
  ASSERT_TRUE(stage_.RebuildAll(&written).ok());
  EXPECT_EQ(written, 2u);
  EXPECT_NE(Profile(2).find(R"("consent_marketing":true)"), std::string::npos) << Profile(2);
  EXPECT_NE(Profile(1).find(R"("consent_marketing":false)"), std::string::npos) << Profile(1);
  // Windowed traits end at the stage's clock, not at the newest event: 200 days ago is
  // outside 90 days now.
  EXPECT_NE(Profile(2).find(R"("spend_90d":0)"), std::string::npos) << Profile(2);
  now_ = kNow - 150 * kDay;
  Mark(2);
  ASSERT_TRUE(stage_.RebuildMarked().ok());
  EXPECT_EQ(Profile(2).find(R"("spend_90d":0)"), std::string::npos) << Profile(2);
  EXPECT_EQ(Count("spend_90d > 0"), 2u) << "OneID 2 now, beside OneID 1 built at the earlier clock";
  // No warning: the data does not end long before the clock.
  for (const std::string& line : log_) EXPECT_EQ(line.find("warning"), std::string::npos) << line;

  // Sixty days on, the newest event is 70 days before the clock: said once.
  now_ = kNow + 60 * kDay;
  Mark(1);
  ASSERT_TRUE(stage_.RebuildMarked().ok());
  Mark(1);
  ASSERT_TRUE(stage_.RebuildMarked().ok());
  size_t warnings = 0;
  for (const std::string& line : log_) warnings += line.find("warning: the newest event is 70 days") != std::string::npos;
  EXPECT_EQ(warnings, 1u);
}

TEST_P(ProfileStageTest, BackfillBuildsTheEventIndexOfAStoreWithoutOne) {
  consent_test::Place(store_.get(), Node(1), 1);
  Order(1, Node(1), 30, kNow - kDay);
  Order(2, Node(1), 40, kNow - kDay);
  ASSERT_TRUE(stage_.Backfill().ok());
  auto built = store_->Get(Cf::kMeta, keys::kEventIndexBuilt);
  ASSERT_TRUE(built.ok() && built->has_value());
  EXPECT_EQ(**built, keys::kEventIndexVersion);
  size_t rows = 0;
  const std::string prefix = keys::EventNamePrefix("Order Completed");
  auto it = store_->NewCursor(Cf::kEventIndex);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++rows;
  EXPECT_EQ(rows, 2u);
  // Done once: a second open finds it built and writes nothing.
  {
    storage::WriteBatch batch(*store_);
    batch.Delete(Cf::kEventIndex, keys::EventNameKey("Order Completed", 1, 2));
    ASSERT_TRUE(store_->Write(&batch, false).ok());
  }
  ASSERT_TRUE(stage_.Backfill().ok());
  rows = 0;
  auto again = store_->NewCursor(Cf::kEventIndex);
  for (again->Seek(prefix); again->Valid() && again->key().starts_with(prefix); again->Next()) ++rows;
  EXPECT_EQ(rows, 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ProfileStageTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<StoreBackend>>);

}  // namespace
}  // namespace holo::engine
