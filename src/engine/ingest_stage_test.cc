// IngestStage on both backends, over the identity and privacy stages it borrows: a file run
// stores new events, counts a repeated messageId as a duplicate (in the batch and against the
// store) and dead-letters a bad line with its file, line and reason; a write of prepared
// messages holds every stage's part (events, dedupe keys, identity's evidence and dirty
// marks, privacy's consent records and sealed vault entry, profile's attribution) and its
// nodes resolve; a write the store refuses leaves none of its parts behind.
#include "engine/ingest_stage.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/identity_stage.h"
#include "engine/privacy_stage.h"
#include "identity/resolver.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "testing/store_backends.h"
#include "testing/test_util.h"

namespace holo::engine {
namespace {

using storage::Cf;
namespace keys = storage::keys;
using holo::testing::StoreBackend;

constexpr int64_t kNowMs = 1767225600000;  // 2026-01-01T00:00:00Z, the stage's clock

std::string Track(std::string_view id, std::string_view event, std::string_view user, std::string_view properties) {
  return std::string(R"({"type":"track","event":")") + std::string(event) + R"(","messageId":")" + std::string(id) +
         R"(","timestamp":"2025-12-30T10:00:00.000Z","userId":")" + std::string(user) +
         R"(","properties":)" + std::string(properties) + "}";
}
const char kOrder[] = R"({"revenue":12,"shipping_address":{"name":"Ann Lee","street":"1 Old Street","postcode":"100001"}})";
const char kConsent[] = R"({"purposes":["marketing"]})";

// The stages an engine holds, over one store: identity and privacy, and ingestion borrowing them.
struct Stages {
  Stages(storage::Store* store, const std::string& data_dir)
      : identity(store, pseudonymizer, parser_options, identity::MergePolicy()),
        privacy(store, &pseudonymizer, privacy::VaultKey{1, 2, 3}),
        ingest(store, pseudonymizer, parser_options, identity, privacy, data_dir, dead_letter_keys, kNowMs) {}

  // The opened records of a dead-letter file.
  std::string DeadLetters(const std::string& path) const {
    std::string out;
    Status s = ingest::ReadDeadLetters(path, dead_letter_keys, 0, [&](std::string_view j) {
      out.append(j);
      out.push_back('\n');
    }, nullptr);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  privacy::Pseudonymizer pseudonymizer{privacy::Pseudonymizer::NewKey()};
  ingest::DeadLetterKeys dead_letter_keys{{privacy::VaultKey{1, 2, 3}}, 0};
  ingest::ParserOptions parser_options = [] {
    ingest::ParserOptions o = ingest::ParserOptions::Defaults();
    o.capture_vault = true;  // as the engine sets it (Options::pii_vault)
    return o;
  }();
  IdentityStage identity;
  PrivacyStage privacy;
  IngestStage ingest;
};

class IngestStageTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override { ASSERT_TRUE(stages_.privacy.Load(/*read_only=*/false).ok()); }

  static size_t Count(const storage::Store& store, Cf cf, std::string_view prefix = {}) {
    size_t n = 0;
    auto it = store.NewCursor(cf);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) ++n;
    EXPECT_TRUE(it->status().ok());
    return n;
  }

  holo::testing::ScratchStore store_{GetParam(), "ingest_stage"};
  holo::testing::TempDir dir_{"ingest_stage_files"};
  Stages stages_{store_.get(), dir_.path()};
};

INSTANTIATE_TEST_SUITE_P(Backends, IngestStageTest, ::testing::ValuesIn(holo::testing::kStoreBackends),
                         holo::testing::StoreBackendName<::testing::TestParamInfo<StoreBackend>>);

TEST_P(IngestStageTest, AFileRunDedupesAndDeadLettersWhereAndWhy) {
  const std::string path = dir_ / "web.jsonl";
  holo::testing::WriteFile(path, Track("m1", "Order Completed", "ann", kOrder) + "\n" +
                                     Track("m1", "Order Completed", "ann", kOrder) + "\n" +  // same messageId
                                     "{not json\n" + Track("m2", "Consent Given", "ann", kConsent) + "\n");
  IngestOptions options;
  options.batch_lines = 2;  // the duplicate in the first batch, the bad line in the second
  options.dead_letter_path = dir_ / "dead.jsonl";
  std::vector<uint64_t> acked;
  options.on_batch = [&](const IngestProgress& p) { acked.push_back(p.line); };
  IngestReport report;
  ASSERT_TRUE(stages_.ingest.Ingest({path}, options, &report).ok());
  EXPECT_EQ(report.files, 1u);
  EXPECT_EQ(report.lines, 4u);
  EXPECT_EQ(report.stored, 2u);
  EXPECT_EQ(report.duplicates, 1u);
  EXPECT_EQ(report.rejected, 1u);
  ASSERT_GE(acked.size(), 2u);  // each batch once its WAL is synced (then the empty one at the end)
  EXPECT_EQ(acked[0], 2u);
  EXPECT_EQ(acked[1], 4u);
  EXPECT_EQ(report.dead_letter_path, options.dead_letter_path);
  ASSERT_EQ(report.sample_errors.size(), 1u);
  EXPECT_EQ(report.sample_errors[0].rfind(path + ":3: ", 0), 0u) << report.sample_errors[0];
  const std::string dead = holo::testing::ReadFile(options.dead_letter_path);
  EXPECT_NE(dead.find(R"("file":")" + path + R"(","line":3,"source":"web","error":")"), std::string::npos) << dead;
  EXPECT_EQ(dead.find("{not json"), std::string::npos) << "the raw text is sealed: " << dead;
  EXPECT_NE(stages_.DeadLetters(options.dead_letter_path).find(R"("raw":"{not json")"), std::string::npos);
  EXPECT_EQ(Count(*store_, Cf::kEvents), 2u);

  // Again: every valid line is a duplicate of a stored event now.
  ASSERT_TRUE(stages_.ingest.Ingest({path}, options, &report).ok());
  EXPECT_EQ(report.stored, 0u);
  EXPECT_EQ(report.duplicates, 3u);
  EXPECT_EQ(report.rejected, 1u);
  EXPECT_EQ(Count(*store_, Cf::kEvents), 2u);

  // A source name that is not one is refused before anything is read.
  options.source = "Not A Source";
  EXPECT_EQ(stages_.ingest.Ingest({path}, options, &report).code(), StatusCode::kInvalidArgument);
}

TEST_P(IngestStageTest, APreparedWriteHoldsEveryStagesPart) {
  const std::string order = Track("m1", "Order Completed", "ann", kOrder);
  const std::string consent = Track("m2", "Consent Given", "ann", kConsent);
  const std::vector<MessageInput> messages = {
      {"web", order, "", "test #1", ""},
      {"web", consent, "", "test #2", ""},
      {"web", R"({"type":"track","messageId":"m3"})", "", "test #3", ""},  // no event name, no id
      {"web", order, "", "test #4", ""},  // a duplicate within the write
  };
  std::unique_ptr<PreparedMessages::Rep> rep;
  ASSERT_TRUE(stages_.ingest.Prepare(messages, &rep).ok());
  // The rejected message is dead-lettered at once, with where it came from.
  const std::string dead = holo::testing::ReadFile(stages_.ingest.dead_letter_path());
  EXPECT_NE(dead.find(R"("file":"test #3","line":3,"source":"web")"), std::string::npos) << dead;

  std::vector<std::vector<MessageOutcome>> outcomes;
  ASSERT_TRUE(stages_.ingest.Write({rep.get()}, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_EQ(outcomes[0].size(), 4u);
  EXPECT_EQ(outcomes[0][0].kind, MessageOutcome::Kind::kStored);
  EXPECT_EQ(outcomes[0][0].message_id, "m1");
  EXPECT_EQ(outcomes[0][1].kind, MessageOutcome::Kind::kStored);
  EXPECT_EQ(outcomes[0][2].kind, MessageOutcome::Kind::kRejected);
  EXPECT_FALSE(outcomes[0][2].error.empty());
  EXPECT_EQ(outcomes[0][3].kind, MessageOutcome::Kind::kDuplicate);

  // One write holds the events and every stage's part of them.
  EXPECT_EQ(Count(*store_, Cf::kEvents), 2u);
  EXPECT_EQ(Count(*store_, Cf::kDedupe), 2u);
  EXPECT_EQ(Count(*store_, Cf::kNodes), 1u);                           // identity: ann's node
  EXPECT_EQ(Count(*store_, Cf::kMeta, keys::kDirtyListPrefix), 1u);    // identity: the write's dirty list
  EXPECT_EQ(Count(*store_, Cf::kConsent), 1u);                         // privacy: marketing given
  EXPECT_EQ(Count(*store_, Cf::kVault), 1u);                           // privacy: the sealed address
  EXPECT_EQ(Count(*store_, Cf::kNodeEvents), 2u);                      // profile: both events are ann's
  auto seq = store_->Get(Cf::kMeta, keys::kEventSeq);
  ASSERT_TRUE(seq.ok() && seq->has_value());
  // The raw address reached the vault only, sealed.
  auto it = store_->NewCursor(Cf::kEvents);
  for (it->SeekToFirst(); it->Valid(); it->Next()) EXPECT_EQ(it->value().find("Old Street"), std::string::npos);

  // Identity resolves what the write marked.
  ResolveReport resolved;
  ASSERT_TRUE(stages_.identity.Resolve(/*full=*/false, 1.0, "ingest", nullptr, &resolved).ok());
  EXPECT_EQ(resolved.dirty_nodes, 1u);
  auto oneid = stages_.identity.LookupOneId("user_id@web", "ann");
  ASSERT_TRUE(oneid.ok()) << oneid.status().ToString();
  EXPECT_NE(*oneid, 0u);

  // A write the store refuses stores none of its parts.
  std::unique_ptr<storage::Store> read_only = store_.OpenReadOnly();
  Stages beside(read_only.get(), dir_.path());
  const size_t events = Count(*read_only, Cf::kEvents), consents = Count(*read_only, Cf::kConsent);
  const std::string bob_consent = Track("m5", "Consent Given", "bob", kConsent);
  const std::string bob_order = Track("m6", "Order Completed", "bob", kOrder);
  const std::vector<MessageInput> more = {{"web", bob_consent, "", "test #1", ""}, {"web", bob_order, "", "test #2", ""}};
  ASSERT_TRUE(beside.ingest.Prepare(more, &rep).ok());
  EXPECT_FALSE(beside.ingest.Write({rep.get()}, &outcomes).ok());
  EXPECT_EQ(Count(*read_only, Cf::kEvents), events);
  EXPECT_EQ(Count(*read_only, Cf::kConsent), consents);
  EXPECT_EQ(Count(*read_only, Cf::kNodes), events == 0 ? 0u : 1u);
  EXPECT_EQ(Count(*read_only, Cf::kVault), events == 0 ? 0u : 1u);

  // A batch that was never prepared is refused.
  EXPECT_EQ(stages_.ingest.Write({nullptr}, &outcomes).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace holo::engine
