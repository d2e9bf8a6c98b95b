// Engine tests against a real RocksDB store: incremental re-resolution when new
// evidence reveals a shared device, OneID stability, and profiles following it.
#include <gtest/gtest.h>

#include <sstream>

#include "holo/engine.h"
#include "testing/test_util.h"

namespace holo {
namespace {

std::string Identify(const std::string& id, const std::string& user, const std::string& device,
                     const std::string& ts) {
  return R"({"type":"identify","messageId":")" + id + R"(","timestamp":")" + ts +
         R"(","userId":")" + user + R"(","context":{"device":{"id":")" + device + R"("}}})" "\n";
}

std::string Order(const std::string& id, const std::string& user, const std::string& device,
                  double revenue, const std::string& ts) {
  return R"({"type":"track","event":"Order Completed","messageId":")" + id + R"(","timestamp":")" + ts +
         R"(","userId":")" + user + R"(","properties":{"revenue":)" + std::to_string(revenue) +
         R"(,"products":[{"brand":"Anta","category":"sports"}],"shipping_address":{"city":"Hangzhou"}},)"
         R"("context":{"device":{"id":")" + device + R"("}}})" "\n";
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.data_dir = dir_ / "data";
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }
  IngestReport Ingest(const std::string& name, const std::string& content) {
    testing::WriteFile(dir_ / name, content);
    IngestReport report;
    IngestOptions options;
    options.full_threshold = 1.0;  // always incremental after the first load
    Status s = engine_->Ingest({dir_ / name}, options, &report);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return report;
  }
  uint64_t OneId(const std::string& type, const std::string& value) {
    auto id = engine_->LookupOneId(type, value);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  testing::TempDir dir_{"engine_test"};
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, NewEvidenceSplitsASharedTabletOffAndKeepsTheOlderOneId) {
  // Day 1: mom uses her phone and the family tablet: the tablet looks like hers.
  Ingest("taobao.jsonl", Identify("m1", "mom", "mom-phone", "2026-10-01T10:00:00Z") +
                             Identify("m2", "mom", "tablet", "2026-10-01T11:00:00Z") +
                             Order("m3", "mom", "tablet", 120, "2026-10-01T11:05:00Z"));
  uint64_t mom = OneId("user_id@taobao", "mom");
  ASSERT_NE(mom, 0u);
  EXPECT_EQ(OneId("device_id", "tablet"), mom);
  EXPECT_EQ(OneId("device_id", "mom-phone"), mom);

  // Day 2: dad logs into his own account on the same tablet. Only the touched
  // component is re-resolved; the tablet is now shared and leaves mom.
  IngestReport r = Ingest("tmall.jsonl", Identify("d1", "dad", "tablet", "2026-10-02T20:00:00Z") +
                                             Identify("d2", "dad", "dad-phone", "2026-10-02T21:00:00Z"));
  EXPECT_FALSE(r.resolve.full_graph);
  EXPECT_EQ(r.resolve.shared_nodes, 1u);
  uint64_t dad = OneId("user_id@taobao", "dad");  // tmall shares taobao's namespace
  EXPECT_EQ(OneId("user_id@taobao", "mom"), mom) << "mom keeps her OneID";
  EXPECT_EQ(OneId("device_id", "mom-phone"), mom);
  EXPECT_NE(dad, mom);
  EXPECT_EQ(OneId("device_id", "dad-phone"), dad);
  uint64_t tablet = OneId("device_id", "tablet");
  EXPECT_NE(tablet, mom);
  EXPECT_NE(tablet, dad);

  // Mom's order on the tablet stays hers (events follow their account), and the
  // tablet's identifier is no longer listed in her profile.
  auto profile = engine_->ProfileJson("user_id@taobao:mom");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_NE(profile->find(R"("order_count":1)"), std::string::npos) << *profile;
  // One device left: the array holds a single quoted 32-hex pseudonym.
  size_t devices = profile->find(R"("device_id":[)");
  ASSERT_NE(devices, std::string::npos) << *profile;
  devices += std::string(R"("device_id":[)").size();
  EXPECT_EQ(profile->find(']', devices) - devices, 34u) << *profile;
  auto tablet_profile = engine_->ProfileJson(std::to_string(tablet));
  ASSERT_TRUE(tablet_profile.ok());
  EXPECT_NE(tablet_profile->find(R"("order_count":0)"), std::string::npos) << *tablet_profile;

  // Explain: mom and dad are apart because the tablet between them is shared.
  auto apart = engine_->identity().Explain("user_id@taobao:mom", "user_id@taobao:dad");
  ASSERT_TRUE(apart.ok()) << apart.status().ToString();
  EXPECT_FALSE(apart->same_person);
  EXPECT_NE(apart->json.find(R"("path_found":true)"), std::string::npos) << apart->json;
  EXPECT_NE(apart->json.find("shared identifier: seen with 2 different user_id@taobao accounts"),
            std::string::npos) << apart->json;
  EXPECT_NE(apart->text.find("CUT: shared identifier"), std::string::npos) << apart->text;
  // ... and mom is her phone through a co-occurrence in one taobao identify.
  auto together = engine_->identity().Explain("user_id@taobao:mom", "device_id:mom-phone");
  ASSERT_TRUE(together.ok());
  EXPECT_TRUE(together->same_person);
  EXPECT_NE(together->json.find(R"("kind":"co-occurrence","source":"taobao")"), std::string::npos)
      << together->json;
  EXPECT_NE(together->json.find(R"("first_seen":"2026-10-01T10:00:00.000Z")"), std::string::npos);
  EXPECT_EQ(together->json.find("blocked_by"), std::string::npos);
  EXPECT_EQ(engine_->identity().Explain("user_id@taobao:mom", "device_id:nope").status().code(),
            StatusCode::kNotFound);

  // Resolving everything from scratch gives the same partition.
  ResolveReport full;
  ASSERT_TRUE(engine_->Resolve(/*full=*/true, &full).ok());
  EXPECT_EQ(OneId("user_id@taobao", "mom"), mom);
  EXPECT_EQ(OneId("user_id@taobao", "dad"), dad);
  EXPECT_EQ(OneId("device_id", "tablet"), tablet);
}

TEST_F(EngineTest, PendingNodesAreCountedResolvedOnceAndAnErasedOneStaysGone) {
  testing::WriteFile(dir_ / "taobao.jsonl", Identify("p1", "ann", "ann-phone", "2026-10-01T10:00:00Z") +
                                                Identify("p2", "ann", "ann-pad", "2026-10-01T11:00:00Z"));
  IngestReport report;
  IngestOptions options;
  options.resolve = false;
  ASSERT_TRUE(engine_->Ingest({dir_ / "taobao.jsonl"}, options, &report).ok());
  auto stats = engine_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->identifiers, 3u);
  EXPECT_EQ(stats->pending_nodes, 3u) << "ingestion lists every new identifier for resolution";

  // Erased while it waits for resolution: the resolve must not bring it back.
  ResolveReport erased;
  ASSERT_TRUE(engine_->identity().EraseIdentifier("device_id:ann-pad", &erased).ok());
  ResolveReport resolved;
  ASSERT_TRUE(engine_->Resolve(/*full=*/false, &resolved).ok());
  EXPECT_EQ(OneId("device_id", "ann-pad"), 0u);
  uint64_t ann = OneId("user_id@taobao", "ann");
  ASSERT_NE(ann, 0u);
  EXPECT_EQ(OneId("device_id", "ann-phone"), ann);
  stats = engine_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->identifiers, 2u);
  EXPECT_EQ(stats->pending_nodes, 0u);
  EXPECT_EQ(stats->oneids, 1u);
}

TEST_F(EngineTest, LookupNormalizesLikeIngestion) {
  Ingest("alipay.jsonl",
         R"({"type":"identify","messageId":"a1","userId":"2088","traits":{"phone":"+86 138-0013-8000","email":" Li.Lei@Example.COM "}})"
         "\n");
  uint64_t id = OneId("user_id@alipay", "2088");
  ASSERT_NE(id, 0u);
  EXPECT_EQ(OneId("phone", "13800138000"), id);
  EXPECT_EQ(OneId("phone", "0086 138 0013 8000"), id);
  EXPECT_EQ(OneId("email", "li.lei@example.com"), id);
  EXPECT_EQ(OneId("alipay_id", "2088"), id);  // the membership external id type
  EXPECT_EQ(OneId("user_id@alipay", "2089"), 0u);
  EXPECT_FALSE(engine_->LookupOneId("phone", "not a phone").ok());
  auto missing = engine_->ProfileJson("phone:+8613900000000");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}


// Issue #17: phone numbers written without a country code are read in their source's region.
// Two sources with different regions carry one person's number, nationally in one and
// internationally in the other (and in the other's own national form): one OneID.
TEST(EnginePhoneRegionTest, SourcesWithTheirOwnRegionsLinkOneNumberIntoOneOneId) {
  testing::TempDir dir("engine_phone_regions");
  Options options;
  options.data_dir = dir / "data";
  options.phone_regions = {{"us_shop", "us"}, {"uk_shop", "GB"}};
  auto opened = Engine::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Engine> engine = std::move(opened).value();
  auto ingest = [&](const std::string& source, const std::string& user, const std::string& phone) {
    testing::WriteFile(dir / (source + ".jsonl"),
                       R"({"type":"identify","messageId":")" + user + R"(","userId":")" + user +
                           R"(","traits":{"phone":")" + phone + "\"}}\n");
    IngestReport report;
    Status s = engine->Ingest({dir / (source + ".jsonl")}, IngestOptions(), &report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(report.rejected, 0u);
  };
  auto oneid = [&](const std::string& type, const std::string& value) {
    auto id = engine->LookupOneId(type, value);
    EXPECT_TRUE(id.ok()) << type << ":" << value << ": " << id.status().ToString();
    return id.ok() ? *id : 0;
  };
  ingest("us_shop", "u1", "(415) 555-0101");
  ingest("uk_shop", "k1", "+1 415 555 0101");
  const uint64_t person = oneid("user_id@us_shop", "u1");
  ASSERT_NE(person, 0u);
  EXPECT_EQ(oneid("user_id@uk_shop", "k1"), person);
  EXPECT_EQ(oneid("phone", "+14155550101"), person);
  // And the other way: a British number, national in the GB source, international in the US one.
  ingest("uk_shop", "k2", "020 7946 0018");
  ingest("us_shop", "u2", "011 44 20 7946 0018");  // the US's international call prefix
  const uint64_t other = oneid("user_id@uk_shop", "k2");
  ASSERT_NE(other, 0u);
  EXPECT_NE(other, person);
  EXPECT_EQ(oneid("user_id@us_shop", "u2"), other);
  // Look-ups read national numbers in the store's default region, CN when nothing says else.
  EXPECT_EQ(oneid("phone", "(415) 555-0101"), 0u);  // +864155550101: a Dandong number, not known
  EXPECT_EQ(*engine->identity().PhoneRegionsJson(), R"({"*":"CN","uk_shop":"GB","us_shop":"US"})");

  // The regions are the store's: reopened without them, the server's path (PrepareMessages) and
  // look-ups use them; "*" sets the look-ups' region.
  engine.reset();
  options.phone_regions = {{"*", "US"}};
  opened = Engine::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  engine = std::move(opened).value();
  EXPECT_EQ(*engine->identity().PhoneRegionsJson(), R"({"*":"US","uk_shop":"GB","us_shop":"US"})");
  const std::string line =
      R"({"type":"identify","messageId":"h1","anonymousId":"a3","traits":{"phone":"415-555-0101"}})";
  PreparedMessages prepared;
  ASSERT_TRUE(engine->PrepareMessages({MessageInput{"us_shop", line, ""}}, &prepared).ok());
  std::vector<std::vector<MessageOutcome>> outcomes;
  ASSERT_TRUE(engine->WritePrepared({&prepared}, &outcomes).ok());
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_EQ(outcomes[0].size(), 1u);
  EXPECT_EQ(outcomes[0][0].kind, MessageOutcome::Kind::kStored) << outcomes[0][0].error;
  ResolveReport resolved;
  ASSERT_TRUE(engine->Resolve(false, &resolved).ok());
  EXPECT_EQ(oneid("anonymous_id@us_shop", "a3"), person);
  EXPECT_EQ(oneid("phone", "(415) 555-0101"), person);

  // A region libphonenumber does not know is refused at open.
  engine.reset();
  options.phone_regions = {{"web", "XX"}};
  EXPECT_EQ(Engine::Open(options).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace holo
