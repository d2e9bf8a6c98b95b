#include "privacy/consent.h"

#include <gtest/gtest.h>

namespace holo::privacy {
namespace {

ConsentRecord Rec(size_t purpose, int64_t ts, uint64_t seq, bool given, const std::string& source) {
  ConsentRecord r;
  r.node.fill(7);
  r.purpose = purpose;
  r.ts_ms = ts;
  r.seq = seq;
  r.given = given;
  r.source = source;
  return r;
}

TEST(ConsentTest, RecordsRoundTripAndSortByPurposeThenTime) {
  ConsentRecord a = Rec(2, -5, 9, true, "taobao"), back;
  ASSERT_TRUE(DecodeConsent(ConsentKey(a), ConsentValue(a), &back));
  EXPECT_EQ(back.purpose, 2u);
  EXPECT_EQ(back.ts_ms, -5);
  EXPECT_EQ(back.seq, 9u);
  EXPECT_TRUE(back.given);
  EXPECT_EQ(back.source, "taobao");
  EXPECT_LT(ConsentKey(Rec(2, -5, 0, true, "")), ConsentKey(Rec(2, 3, 0, true, "")));
  EXPECT_LT(ConsentKey(Rec(1, 100, 0, true, "")), ConsentKey(Rec(2, 3, 0, true, "")));
  EXPECT_FALSE(DecodeConsent("short", "\1", &back));
}

TEST(ConsentTest, LatestDecisionWinsAcrossSources) {
  const size_t marketing = *PurposeIndex("marketing");
  PersonConsent p;
  p.Fold(Rec(marketing, 200, 2, false, "alipay"));  // withdrawn later on alipay
  p.Fold(Rec(marketing, 100, 1, true, "taobao"));   // given earlier on taobao: older, ignored
  EXPECT_TRUE(p.purposes[marketing].decided);
  EXPECT_FALSE(p.purposes[marketing].given);
  EXPECT_EQ(p.purposes[marketing].source, "alipay");
  p.Fold(Rec(marketing, 200, 3, true, "web"));  // same time, later event
  EXPECT_TRUE(p.purposes[marketing].given);
}

TEST(ConsentTest, PolicyNeedsEveryPurposeOfAUseAndDefaultsToNo) {
  ConsentPolicy policy = ConsentPolicy::Default();
  EXPECT_FALSE(*policy.Allows(nullptr, "export"));
  PersonConsent p;
  p.Fold(Rec(*PurposeIndex("marketing"), 1, 1, true, "web"));
  EXPECT_TRUE(*policy.Allows(&p, "export"));
  EXPECT_FALSE(*policy.Allows(&p, "third_party_export")) << "third_party is needed too";
  EXPECT_FALSE(*policy.Allows(&p, "store_link"));
  EXPECT_EQ(policy.Allows(&p, "no_such_use").status().code(), StatusCode::kNotFound);

  auto custom = ConsentPolicy::Parse(R"({"uses":{"export":["marketing","analytics"]},"defaults":{"analytics":true}})");
  ASSERT_TRUE(custom.ok()) << custom.status().ToString();
  EXPECT_TRUE(*custom->Allows(&p, "export")) << "analytics defaults to given";
  auto again = ConsentPolicy::Parse(custom->ToJson());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToJson(), custom->ToJson());

  EXPECT_FALSE(ConsentPolicy::Parse(R"({"uses":{"export":["marketng"]}})").ok());
  EXPECT_FALSE(ConsentPolicy::Parse(R"({"usage":{}})").ok());
  EXPECT_FALSE(ConsentPolicy::Parse(R"({"defaults":{"location":"yes"}})").ok());
  EXPECT_FALSE(ConsentPolicy::Parse("[").ok());
}

}  // namespace
}  // namespace holo::privacy
