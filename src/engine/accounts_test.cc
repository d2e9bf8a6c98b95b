// Issue #17, "Group calls create account profiles (B2B) linked to their members, with their
// traits": a group call's account (its pseudonymized groupId) and traits are kept with the
// event; profile rebuilds write the account's memberships, so they follow identity merges and
// erasure; the account holds the latest value of each trait by event time over its members.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "engine/engine_test_util.h"
#include "holo/engine.h"
#include "testing/test_util.h"

namespace holo {
namespace {

class AccountsTest : public testing::EngineStoreTest {
 protected:
  AccountsTest() : EngineStoreTest("accounts_test") {}
  void SetUp() override { Open(); }

  uint64_t OneId(const std::string& user) {
    Result<uint64_t> id = engine_->LookupOneId("user_id@taobao", user);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }
  uint64_t Count(std::string_view expression) {
    Result<uint64_t> n = engine_->audiences().CountExpression(expression);
    EXPECT_TRUE(n.ok()) << expression << ": " << n.status().ToString();
    return n.ok() ? *n : 0;
  }
  // The account's JSON parsed (kept in doc_).
  simdjson::dom::element Account(std::string_view name) {
    Result<std::string> json = engine_->AccountProfileJson(name);
    EXPECT_TRUE(json.ok()) << name << ": " << json.status().ToString();
    json_ = json.ok() ? *json : "{}";
    return parser_.parse(json_).value();
  }
  static std::vector<uint64_t> Members(simdjson::dom::element a) {
    std::vector<uint64_t> out;
    simdjson::dom::array members;
    EXPECT_EQ(a["members"].get_array().get(members), simdjson::SUCCESS);
    for (simdjson::dom::element m : members) out.push_back(m.get_uint64().value());
    return out;
  }
  static std::string Text(simdjson::dom::element a, const char* trait) {
    std::string_view v;
    if (a["traits"][trait].get_string().get(v) != simdjson::SUCCESS) return "<absent>";
    return std::string(v);
  }

  simdjson::dom::parser parser_;
  std::string json_;
};

// tmall and store_beacon share the taobao namespace (ParserOptions::Defaults), so their
// groupIds name the same accounts, as their userIds name the same people.
constexpr const char* kTmall =
    R"({"type":"group","messageId":"g1","userId":"u1","groupId":"acme","timestamp":"2026-09-10T00:00:00Z",)"
    R"("traits":{"name":"Acme Inc","plan":"pro","employees":120,"email":"ceo@acme.example","firstName":"Ann","$group":"x"}})" "\n"
    R"({"type":"group","messageId":"g2","userId":"u1","groupId":4711,"timestamp":"2026-09-03T00:00:00Z",)"
    R"("traits":{"name":"Globex","industry":"Energy"}})" "\n"
    R"({"type":"group","messageId":"g3","anonymousId":"a3","groupId":"acme","timestamp":"2026-09-05T00:00:00Z",)"
    R"("traits":{"website":"acme.example"}})" "\n"
    R"({"type":"group","messageId":"g4","userId":"u9","groupId":true,"timestamp":"2026-09-05T00:00:00Z"})" "\n";
// Read after kTmall, but older by event time: its plan and name lose, its industry is new.
constexpr const char* kBeacon =
    R"({"type":"group","messageId":"b1","userId":"u2","groupId":"acme","timestamp":"2026-09-01T00:00:00Z",)"
    R"("traits":{"name":"Acme","plan":"free","industry":"Retail"}})" "\n";

TEST_F(AccountsTest, GroupCallsMakeAccountsThatFollowMergesAndErasure) {
  IngestReport r = IngestFile("tmall.jsonl", kTmall, "tmall");
  EXPECT_EQ(r.stored, 3u);
  ASSERT_EQ(r.rejected, 1u);
  ASSERT_FALSE(r.sample_errors.empty());
  EXPECT_NE(r.sample_errors[0].find("groupId must be a string"), std::string::npos) << r.sample_errors[0];
  IngestLines("store_beacon.jsonl", "store_beacon", kBeacon);

  const uint64_t u1 = OneId("u1"), u2 = OneId("u2");
  Result<uint64_t> a3 = engine_->LookupOneId("anonymous_id@tmall", "a3");
  ASSERT_TRUE(a3.ok());
  ASSERT_NE(u1, 0u);
  ASSERT_NE(u2, 0u);
  ASSERT_NE(*a3, 0u);
  ASSERT_NE(u1, u2);

  simdjson::dom::element acme = Account("taobao:acme");
  std::vector<uint64_t> want{u1, u2, *a3};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(Members(acme), want);
  EXPECT_EQ(acme["member_count"].get_uint64().value(), 3u);
  EXPECT_EQ(acme["calls"].get_uint64().value(), 3u);
  EXPECT_EQ(Text(acme, "name"), "Acme Inc");  // 10 Sep beats 1 Sep, though read first
  EXPECT_EQ(Text(acme, "plan"), "pro");
  EXPECT_EQ(Text(acme, "industry"), "Retail");
  EXPECT_EQ(Text(acme, "website"), "acme.example");
  EXPECT_EQ(acme["traits"]["employees"].get_int64().value(), 120);
  // A person's e-mail and name inside group traits are personal data: never kept.
  EXPECT_EQ(Text(acme, "email"), "<absent>");
  EXPECT_EQ(Text(acme, "firstName"), "<absent>");
  EXPECT_EQ(json_.find("ceo@acme"), std::string::npos);
  EXPECT_EQ(json_.find("Ann"), std::string::npos);
  std::string_view last_seen;
  ASSERT_EQ(acme["last_seen"].get_string().get(last_seen), simdjson::SUCCESS);
  EXPECT_EQ(last_seen, "2026-09-10T00:00:00.000Z");
  const std::string key(acme["account"].get_string().value());
  ASSERT_EQ(key.size(), 32u);

  // The same account by a source of the namespace and by its key; the groupId never stored.
  EXPECT_EQ(std::string(Account("tmall:acme")["account"].get_string().value()), key);
  EXPECT_EQ(Members(Account(key)), want);
  std::string events;
  {
    std::ostringstream out;
    ASSERT_TRUE(engine_->ExportEvents(out).ok());
    events = out.str();
  }
  EXPECT_EQ(events.find("\"acme\""), std::string::npos);
  EXPECT_NE(events.find(key), std::string::npos);
  // An integer groupId names the account of its decimal text.
  simdjson::dom::element globex = Account("taobao:4711");
  EXPECT_EQ(Members(globex), std::vector<uint64_t>{u1});
  EXPECT_EQ(Text(globex, "industry"), "Energy");
  // Another namespace, another account; names of neither form are refused.
  EXPECT_EQ(engine_->AccountProfileJson("web:acme").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->AccountProfileJson("acme").status().code(), StatusCode::kInvalidArgument);

  // The person side: the accounts trait (keys) and account_names in the segment language.
  ASSERT_TRUE(engine_->serving().Warm().ok());
  EXPECT_EQ(Count("accounts contains \"" + key + "\""), 3u);
  EXPECT_EQ(Count(R"(account_names contains "Acme Inc")"), 1u);
  EXPECT_EQ(Count(R"(account_names contains "Globex")"), 1u);
  EXPECT_EQ(Count(R"(account_names contains "Acme")"), 1u);  // u2's own calls named it so

  // Listing, a page at a time.
  {
    Result<std::string> page = engine_->ListAccountsJson("", 1);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    simdjson::dom::parser p;
    simdjson::dom::element doc = p.parse(*page).value();
    ASSERT_EQ(doc["accounts"].get_array().value().size(), 1u);
    std::string_view next;
    ASSERT_EQ(doc["next"].get_string().get(next), simdjson::SUCCESS) << *page;
    Result<std::string> rest = engine_->ListAccountsJson(next, 10);
    ASSERT_TRUE(rest.ok());
    simdjson::dom::parser p2;
    simdjson::dom::element doc2 = p2.parse(*rest).value();
    ASSERT_EQ(doc2["accounts"].get_array().value().size(), 1u);
    EXPECT_TRUE(doc2["next"].is_null());
    std::string names = *page + *rest;
    EXPECT_NE(names.find("\"name\":\"Acme Inc\""), std::string::npos) << names;
    EXPECT_NE(names.find("\"name\":\"Globex\""), std::string::npos) << names;
    EXPECT_EQ(engine_->ListAccountsJson("zz", 10).status().code(), StatusCode::kInvalidArgument);
  }

  // An identity merge: u3 signs in on the device that was a3. The account's member is the
  // merged OneID; a3's OneID is no longer one.
  IngestLines("tmall2.jsonl", "tmall",
              R"({"type":"identify","messageId":"i1","userId":"u3","anonymousId":"a3","timestamp":"2026-09-06T00:00:00Z"})"
              "\n");
  const uint64_t u3 = OneId("u3");
  Result<uint64_t> a3_now = engine_->LookupOneId("anonymous_id@tmall", "a3");
  ASSERT_TRUE(a3_now.ok());
  ASSERT_EQ(*a3_now, u3);
  want = {u1, u2, u3};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(Members(Account("taobao:acme")), want);

  // Erasure of u2: out of the account, and the traits only u2's calls gave go with it.
  Engine::ErasureReport erased;
  ASSERT_TRUE(engine_->privacy().ErasePerson("user_id@taobao:u2", &erased).ok());
  want = {u1, u3};
  std::sort(want.begin(), want.end());
  acme = Account("taobao:acme");
  EXPECT_EQ(Members(acme), want);
  EXPECT_EQ(acme["member_count"].get_uint64().value(), 2u);
  EXPECT_EQ(Text(acme, "industry"), "<absent>");
  EXPECT_EQ(Text(acme, "name"), "Acme Inc");
  EXPECT_EQ(Count("accounts contains \"" + key + "\""), 2u);

  // The last member erased: the account is gone.
  ASSERT_TRUE(engine_->privacy().ErasePerson("user_id@taobao:u1", &erased).ok());
  EXPECT_EQ(engine_->AccountProfileJson("taobao:4711").status().code(), StatusCode::kNotFound);

  // Reopened: the memberships were stored, not held in memory.
  Open();
  EXPECT_EQ(Members(Account(key)), std::vector<uint64_t>{u3});
}

}  // namespace
}  // namespace holo
