// ConsentIndex against a store holding a graph and a ledger written directly, on both
// backends: the index needs nothing of RocksDB's.
#include "engine/consent_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/coding.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "engine/consent_test_util.h"
#include "testing/store_backends.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;
using holo::testing::StoreBackend;
using consent_test::Node;
using consent_test::Purpose;

class ConsentIndexTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void Place(const privacy::Pseudonym& node, uint64_t oneid, uint64_t from = 0) {
    consent_test::Place(store_.get(), node, oneid, from);
  }
  privacy::ConsentRecord Decide(const privacy::Pseudonym& node, std::string_view purpose, int64_t ts, bool given) {
    privacy::ConsentRecord r;
    r.node = node;
    r.purpose = Purpose(purpose);
    r.ts_ms = ts;
    r.given = given;
    r.source = "web";
    EXPECT_TRUE(store_->Put(Cf::kConsent, privacy::ConsentKey(r), privacy::ConsentValue(r), false).ok());
    return r;
  }

  holo::testing::ScratchStore store_{GetParam(), "consent_index"};
};

// OneID 1 holds A (gave marketing) and B (withdrew it later); OneID 2 holds C (gave analytics).
TEST_P(ConsentIndexTest, FoldsTheLatestDecisionAcrossAPersonsIdentifiers) {
  Place(Node(1), 1);
  Place(Node(2), 1);
  Place(Node(3), 2);
  Decide(Node(1), "marketing", 100, true);
  Decide(Node(2), "marketing", 200, false);
  Decide(Node(3), "analytics", 100, true);

  ConsentIndex index(store_.get());
  ASSERT_TRUE(index.Ensure().ok());
  EXPECT_FALSE(index.Given(1, Purpose("marketing")));
  EXPECT_TRUE(index.Given(2, Purpose("analytics")));
  EXPECT_FALSE(index.Given(2, Purpose("marketing")));

  std::vector<privacy::ConsentRecord> ledger;
  size_t members = 0;
  ASSERT_TRUE(index.LedgerOf(1, &ledger, &members).ok());
  EXPECT_EQ(members, 2u);
  ASSERT_EQ(ledger.size(), 2u);
  EXPECT_EQ(ledger[0].node, Node(1));
  EXPECT_EQ(ledger[1].node, Node(2));
}

TEST_P(ConsentIndexTest, RefreshRereadsThePeopleResolutionChanged) {
  Place(Node(1), 1);
  Place(Node(2), 1);
  Place(Node(3), 2);
  Decide(Node(1), "marketing", 100, true);
  Decide(Node(2), "marketing", 200, false);
  ConsentIndex index(store_.get());
  ASSERT_TRUE(index.Ensure().ok());
  ASSERT_FALSE(index.Given(1, Purpose("marketing")));

  Place(Node(2), 2, /*from=*/1);  // B's withdrawal leaves with B
  ASSERT_TRUE(index.Refresh({1, 2}).ok());
  EXPECT_TRUE(index.Given(1, Purpose("marketing")));
  EXPECT_FALSE(index.Given(2, Purpose("marketing")));
}

TEST_P(ConsentIndexTest, FoldAppliesNewRecordsOnceLoaded) {
  Place(Node(3), 2);
  ConsentIndex index(store_.get());
  // Not loaded yet: the load reads the record from the ledger.
  ASSERT_TRUE(index.Fold({Decide(Node(3), "marketing", 100, true)}).ok());
  ASSERT_TRUE(index.Ensure().ok());
  EXPECT_TRUE(index.Given(2, Purpose("marketing")));
  ASSERT_TRUE(index.Fold({Decide(Node(3), "marketing", 200, false)}).ok());
  EXPECT_FALSE(index.Given(2, Purpose("marketing")));
}

TEST_P(ConsentIndexTest, ACorruptLedgerRecordIsDataLoss) {
  Place(Node(1), 1);
  ASSERT_TRUE(store_->Put(Cf::kConsent, "short", "", false).ok());
  ConsentIndex index(store_.get());
  EXPECT_EQ(index.Ensure().code(), StatusCode::kDataLoss);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConsentIndexTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<StoreBackend>>);

}  // namespace
}  // namespace holo::engine
