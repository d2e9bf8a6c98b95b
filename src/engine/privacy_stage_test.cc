// PrivacyStage on both backends: privacy's part of an ingest write (decisions into the
// ledger and the consent index, raw values sealed into the vault, withdrawals for erased
// identifiers seen again), its part of an erasure, and what a new stage loads from the store.
#include "engine/privacy_stage.h"

#include <gtest/gtest.h>

#include <array>
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

class PrivacyStageTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void Place(const privacy::Pseudonym& node, uint64_t oneid) { consent_test::Place(store_.get(), node, oneid); }
  // An event of `node` (a user id): `name` with `properties`.
  static storage::EventRecord Event(const privacy::Pseudonym& node, std::string_view name, std::string_view properties,
                                    int64_t ts) {
    storage::EventRecord e;
    e.timestamp_ms = ts;
    e.source = "web";
    e.event = std::string(name);
    e.message_id = "m" + std::to_string(ts);
    e.properties_json = std::string(properties);
    storage::EventId id;
    id.pseudonym = node;
    id.role = 1;  // ingest::IdRole::kUserId
    id.type = "user_id@web";
    e.ids.push_back(std::move(id));
    return e;
  }
  // Writes `part` as an ingest write would, and tells the stage.
  void Write(PrivacyStage* stage, const PrivacyStage::WritePart& part) {
    storage::WriteBatch batch(*store_);
    part.AppendTo(&batch);
    ASSERT_TRUE(store_->Write(&batch, /*sync=*/false).ok());
    ASSERT_TRUE(stage->Written(part).ok());
  }
  size_t Count(Cf cf, std::string_view prefix) const {
    size_t n = 0;
    auto it = store_->NewCursor(cf);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    EXPECT_TRUE(it->status().ok());
    return n;
  }

  holo::testing::ScratchStore store_{GetParam(), "privacy_stage"};
  privacy::Pseudonymizer pseudonymizer_{privacy::Pseudonymizer::NewKey()};
  privacy::VaultKey vault_key_{1, 2, 3};
};

TEST_P(PrivacyStageTest, AnIngestPartRecordsDecisionsAndSealsVaultValues) {
  Place(Node(1), 7);
  PrivacyStage stage(store_.get(), &pseudonymizer_, vault_key_);
  ASSERT_TRUE(stage.Load(/*read_only=*/false).ok());
  ASSERT_TRUE(stage.consent().Ensure().ok());

  PrivacyStage::WritePart part;
  const std::string address = R"({"name":"Li Lei","street":"1 Old Street"})";
  stage.Add(Event(Node(1), "Consent Given", R"({"purposes":["marketing","nonsense"]})", 100), Node(1), 1, {address},
            &part);
  EXPECT_EQ(part.consent().size(), 1u) << "unknown purposes are not recorded";
  EXPECT_EQ(part.vault_entries(), 1u);
  Write(&stage, part);

  EXPECT_TRUE(stage.consent().Given(7, Purpose("marketing"))) << "counts from the next read";
  EXPECT_EQ(Count(Cf::kConsent, ""), 1u);
  // The vault holds the value sealed (not in clear), and opens it for the person.
  auto it = store_->NewCursor(Cf::kVault);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    EXPECT_EQ(std::string(it->value()).find("Old Street"), std::string::npos) << "a raw value in clear";
  }
  std::vector<privacy::Pseudonym> unopened;
  auto entries = stage.VaultEntriesOf({Node(1), Node(2)}, &unopened);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].first, Node(1));
  EXPECT_EQ((*entries)[0].second, address);
  EXPECT_TRUE(unopened.empty());
  // Another generation's vault key cannot open it: the entry is skipped and reported.
  PrivacyStage other(store_.get(), &pseudonymizer_, privacy::VaultKey{9});
  auto none = other.VaultEntriesOf({Node(1)}, &unopened);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  ASSERT_EQ(unopened.size(), 1u);
  EXPECT_EQ(unopened[0], Node(1));
}

TEST_P(PrivacyStageTest, AnErasedIdentifierSeenAgainWithdrawsEveryPurposeOnce) {
  Place(Node(1), 7);
  PrivacyStage stage(store_.get(), &pseudonymizer_, vault_key_);
  ASSERT_TRUE(stage.Load(false).ok());
  {
    PrivacyStage::WritePart part;
    stage.Add(Event(Node(1), "Consent Given", R"({"purposes":["analytics"]})", 100), Node(1), 1, {"{}"}, &part);
    Write(&stage, part);
  }
  // The erasure's part: ledger and vault entries go, the identifier is suppressed.
  storage::WriteBatch batch(*store_);
  uint64_t vault_removed = 0;
  ASSERT_TRUE(stage.AddErasure({Node(1)}, /*now_ms=*/500, &batch, &vault_removed).ok());
  ASSERT_TRUE(store_->Write(&batch, true).ok());
  stage.Erased({Node(1)}, 7, 500);
  EXPECT_EQ(vault_removed, 1u);
  EXPECT_EQ(Count(Cf::kConsent, ""), 0u);
  EXPECT_EQ(Count(Cf::kVault, ""), 0u);
  EXPECT_EQ(Count(Cf::kMeta, keys::kSuppressedPrefix), 1u);
  EXPECT_TRUE(stage.Suppressed(Node(1)));
  EXPECT_FALSE(stage.Suppressed(Node(2)));

  // Seen again: every purpose withdrawn as of the erasure, by "erasure", once per process.
  PrivacyStage::WritePart again;
  stage.Add(Event(Node(1), "Order Completed", "{}", 900), Node(1), 2, {}, &again);
  ASSERT_EQ(again.consent().size(), privacy::kPurposeCount);
  for (const auto& r : again.consent()) {
    EXPECT_FALSE(r.given);
    EXPECT_EQ(r.ts_ms, 500);
    EXPECT_EQ(r.source, "erasure");
  }
  PrivacyStage::WritePart twice;
  stage.Add(Event(Node(1), "Order Completed", "{}", 901), Node(1), 3, {}, &twice);
  EXPECT_TRUE(twice.consent().empty());

  // A new process loads the list from the store and withdraws again, once.
  PrivacyStage reopened(store_.get(), &pseudonymizer_, vault_key_);
  ASSERT_TRUE(reopened.Load(false).ok());
  EXPECT_TRUE(reopened.Suppressed(Node(1)));
  PrivacyStage::WritePart fresh;
  reopened.Add(Event(Node(1), "Order Completed", "{}", 902), Node(1), 4, {}, &fresh);
  EXPECT_EQ(fresh.consent().size(), privacy::kPurposeCount);
}

TEST_P(PrivacyStageTest, LoadReadsThePolicyAndBuildsAMissingLedgerOnce) {
  Place(Node(1), 7);
  // A store from before the ledger: one consent event, no ledger, no marker.
  std::string value;
  Event(Node(1), "Consent Given", R"({"purposes":["marketing"]})", 100).EncodeTo(&value);
  ASSERT_TRUE(store_->Put(Cf::kEvents, keys::EventKey(1), value, false).ok());
  auto policy = privacy::ConsentPolicy::Default();
  ASSERT_TRUE(store_->Put(Cf::kMeta, keys::kConsentPolicy, policy.ToJson(), false).ok());

  // A read-only load builds nothing.
  PrivacyStage read_only(store_.get(), &pseudonymizer_, vault_key_);
  ASSERT_TRUE(read_only.Load(/*read_only=*/true).ok());
  EXPECT_EQ(Count(Cf::kConsent, ""), 0u);

  PrivacyStage stage(store_.get(), &pseudonymizer_, vault_key_);
  ASSERT_TRUE(stage.Load(false).ok());
  EXPECT_EQ(Count(Cf::kConsent, ""), 1u);
  EXPECT_EQ(stage.consent().policy().ToJson(), policy.ToJson());
  ASSERT_TRUE(stage.consent().Ensure().ok());
  EXPECT_TRUE(stage.consent().Given(7, Purpose("marketing")));
  // Built once: a ledger record removed stays removed at the next load.
  storage::WriteBatch clear(*store_);
  clear.DeleteRange(Cf::kConsent, std::string(1, '\0'), std::string(17, '\xff'));
  ASSERT_TRUE(store_->Write(&clear, false).ok());
  PrivacyStage again(store_.get(), &pseudonymizer_, vault_key_);
  ASSERT_TRUE(again.Load(false).ok());
  EXPECT_EQ(Count(Cf::kConsent, ""), 0u);
}

// A decision recorded through the CLI or the API: written for every identifier with the
// profiles marked in one write; stamped after the ledger's newest decision when made "now";
// the person's document shows state and history; a policy is parsed, stored and applied.
TEST_P(PrivacyStageTest, RecordsDecisionsWritesTheDocumentAndSetsThePolicy) {
  Place(Node(1), 7);
  Place(Node(2), 7);
  PrivacyStage stage(store_.get(), &pseudonymizer_, vault_key_);
  ASSERT_TRUE(stage.Load(false).ok());
  ASSERT_TRUE(stage.consent().Ensure().ok());
  // An event-borne grant stamped ahead of the clock (now 1000, the grant 5000).
  PrivacyStage::WritePart part;
  stage.Add(Event(Node(1), "Consent Given", R"({"purposes":["marketing"]})", 5000), Node(1), 3, {}, &part);
  Write(&stage, part);
  ASSERT_TRUE(stage.consent().Given(7, Purpose("marketing")));

  PrivacyStage::Decision withdraw;
  withdraw.purposes = {Purpose("marketing"), Purpose("location")};
  withdraw.given = false;
  withdraw.source = "support";
  ASSERT_TRUE(stage.RecordDecision({Node(1), Node(2)}, {7, 7}, withdraw, /*now_ms=*/1000).ok());
  EXPECT_EQ(Count(Cf::kConsent, ""), 5u) << "the grant, and two purposes for each of two identifiers";
  EXPECT_EQ(Count(Cf::kMeta, keys::DirtyProfile(7)), 1u) << "the profile marked in the same write";
  ASSERT_TRUE(stage.consent().Refresh({7}).ok());  // what the rebuild does before it reads
  EXPECT_FALSE(stage.consent().Given(7, Purpose("marketing"))) << "stamped after the grant: 5001";
  std::array<bool, privacy::kPurposeCount> given{};
  auto json = stage.ConsentJson(7, &given);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_FALSE(given[Purpose("marketing")]);
  EXPECT_NE(json->find(R"("marketing":{"given":false,"decided":true,"at":"1970-01-01T00:00:05.001Z","source":"support"})"),
            std::string::npos) << *json;
  EXPECT_NE(json->find(R"("location":{"given":false,"decided":true,"at":"1970-01-01T00:00:01.000Z")"),
            std::string::npos) << *json;
  EXPECT_NE(json->find(R"("event_seq":3)"), std::string::npos) << *json;
  EXPECT_EQ(stage.ConsentJson(8, nullptr).status().code(), StatusCode::kNotFound);

  // A decision with its own time keeps it, even when older than the newest.
  PrivacyStage::Decision grant;
  grant.purposes = {Purpose("marketing")};
  grant.source = "store_desk";
  grant.at_ms = 2000;
  ASSERT_TRUE(stage.RecordDecision({Node(2)}, {7}, grant, 1000).ok());
  ASSERT_TRUE(stage.consent().Refresh({7}).ok());
  EXPECT_FALSE(stage.consent().Given(7, Purpose("marketing")));

  // The policy: refused when it names an unknown purpose; otherwise stored and in force.
  EXPECT_EQ(stage.SetConsentPolicy(R"({"uses":{"export":["telepathy"]}})").code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(stage.SetConsentPolicy(R"({"uses":{"export":["analytics"]},"defaults":{"analytics":true}})").ok());
  auto allowed = stage.consent().Allows(7, "export");
  ASSERT_TRUE(allowed.ok());
  EXPECT_TRUE(*allowed) << "analytics undecided, given by default";
  PrivacyStage reopened(store_.get(), &pseudonymizer_, vault_key_);
  ASSERT_TRUE(reopened.Load(false).ok());
  EXPECT_EQ(reopened.consent().policy().ToJson(), stage.consent().policy().ToJson());
}

INSTANTIATE_TEST_SUITE_P(Backends, PrivacyStageTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<StoreBackend>>);

}  // namespace
}  // namespace holo::engine
