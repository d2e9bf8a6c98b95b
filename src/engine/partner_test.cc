// The partner clean room against a real store: people ingested with known e-mails and
// phones, a partner's upload of the SHA-256 hashes of some of them (computed here from the
// normalized forms ad platforms use, not by Holo's normalizer), plus hashes of strangers
// and malformed lines -> the overlap's group profile through the release point, never its
// members; tiny and near-duplicate overlaps refused; erasure takes the person's tags;
// a key rotation keeps matching (old and new identifiers).
#include <gtest/gtest.h>
#include <sodium.h>

#include <cctype>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "common/hex.h"
#include "engine/engine_test_util.h"
#include "holo/engine.h"
#include "storage/keys.h"
#include "storage/store.h"
#include "testing/test_util.h"

namespace holo {
namespace {

// Lowercase hex SHA-256, as a partner computes it (Google Customer Match, Meta).
std::string Sha256Hex(const std::string& s) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  return hex::Encode(d, sizeof(d));
}

// What the partner holds for person i: the e-mail and phone the ad platforms' normalization
// gives (trimmed, lower-cased; E.164 with '+').
std::string EmailOf(int i) { return "user" + std::to_string(i) + "@example.com"; }
std::string PhoneOf(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "+86138%08d", i);
  return buf;
}

// The value of "key":<number> in `json`, or -1.
double NumberAt(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::stod(json.substr(at + key.size() + 3));
}

class PartnerTest : public testing::EngineStoreTest {
 protected:
  PartnerTest() : EngineStoreTest("partner_test") {}

  // Persons [from, to): an identify with the e-mail and phone written as apps send them
  // (mixed case, spaces, national phone format), and one order.
  void IngestPeople(int from, int to, const std::string& file) {
    std::string lines;
    for (int i = from; i < to; ++i) {
      char phone[32];
      std::snprintf(phone, sizeof(phone), "138 %04d %04d", i / 10000, i % 10000);
      lines += R"({"type":"identify","messageId":"id-)" + std::to_string(i) + R"(","userId":"p)" + std::to_string(i) +
               R"(","timestamp":"2026-10-01T10:00:00Z","traits":{"email":"  User)" + std::to_string(i) +
               R"(@Example.COM ","phone":")" + phone + R"("}})" "\n";
      lines += R"({"type":"track","event":"Order Completed","messageId":"o-)" + std::to_string(i) + R"(","userId":"p)" +
               std::to_string(i) + R"(","timestamp":"2026-10-02T10:00:00Z","properties":{"revenue":)" +
               std::to_string(10 + i % 50) + "}}\n";
    }
    IngestLines(file, "shop", lines);
  }

  Engine::GroupProfileOptions Options50() const {
    Engine::GroupProfileOptions o;
    o.k = 50;
    return o;
  }

  // The match tags in the store (the engine closed meanwhile): tag -> node.
  std::vector<std::pair<std::string, std::string>> Tags() {
    engine_.reset();
    std::vector<std::pair<std::string, std::string>> out;
    auto store = storage::Store::Open(dir_ / "data", storage::StoreOptions());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return out;
    {
      auto it = (*store)->NewCursor(storage::Cf::kGraph);
      for (it->Seek(storage::keys::kMatchTagPrefix);
           it->Valid() && it->key().starts_with(storage::keys::kMatchTagPrefix); it->Next()) {
        out.emplace_back(std::string(it->key()), std::string(it->value()));
      }
      EXPECT_TRUE(it->status().ok());
    }  // the cursor before the store
    store->reset();
    Open();
    return out;
  }
};

TEST_F(PartnerTest, ReleasesOnlyTheOverlapsGroupProfileAndReportsTheUpload) {
  Open();
  IngestPeople(0, 200, "people.jsonl");
  // The overlap: e-mails of persons 0..119, phones of 100..159 (100..119 by both): 160 people.
  std::string upload = "hashed_email\n";  // a header line
  std::vector<std::string> sent;
  for (int i = 0; i < 120; ++i) sent.push_back(Sha256Hex(EmailOf(i)));
  for (int i = 100; i < 160; ++i) sent.push_back(Sha256Hex(PhoneOf(i)));
  for (int i = 1000; i < 1040; ++i) sent.push_back(Sha256Hex(EmailOf(i)));  // strangers
  for (size_t n = 0; n < sent.size(); ++n) {
    std::string line = sent[n];
    if (n % 7 == 0) {
      for (char& c : line) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));  // either case
    }
    if (n % 11 == 0) line = (n < 120 ? "email:" : "phone: ") + line;
    upload += line + (n % 13 == 0 ? "\r\n" : "\n");
    if (n == 5) upload += "\n   \n";  // blank lines (lines 8 and 9)
    if (n == 30) upload += "not-a-hash\n";  // line 35
    if (n == 31) upload += sent[0].substr(1) + "\n";  // 63 digits: line 37
  }
  upload += sent[1] + "\n";  // a duplicate
  auto r = engine_->analysts().PartnerMatch("acme", upload, Options50());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::string& json = r->json;
  // The overlap's size as the release point gives it (exact or noisy).
  const double size = NumberAt(json, "size");
  EXPECT_NEAR(size, 160, 16) << json;
  EXPECT_NE(json.find("\"partner\":\"acme\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"group_profile\":{"), std::string::npos) << json;
  // The upload, and nothing else about the match.
  EXPECT_EQ(NumberAt(json, "hashes"), 221) << json;   // 220 + the duplicate
  EXPECT_EQ(NumberAt(json, "distinct"), 220) << json;
  EXPECT_EQ(NumberAt(json, "malformed"), 2) << json;
  EXPECT_NE(json.find("\"malformed_lines\":[35,37]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"header\":true"), std::string::npos) << json;
  EXPECT_NE(json.find("not matchable"), std::string::npos) << json;
  EXPECT_EQ(json.find("matched"), std::string::npos) << json;
  for (const std::string& h : sent) ASSERT_EQ(json.find(h), std::string::npos) << "a hash in the report";
  EXPECT_NE(r->text.find("2 malformed (lines 35, 37)"), std::string::npos) << r->text;
  // Never a member: no person's user id or pseudonym appears.
  for (int i = 0; i < 200; i += 17) EXPECT_EQ(json.find("\"p" + std::to_string(i) + "\""), std::string::npos);

  // An analyst gets the overlap noised and paid for; the same upload again is the same
  // answer, free; a tiny overlap shows no size and no cell.
  Engine::GroupProfileOptions analyst = Options50();
  analyst.budget_owner = "analyst:ann";
  auto first = engine_->analysts().PartnerMatch("acme", upload, analyst);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_NE(first->json.find("\"charged\":"), std::string::npos) << first->json;
  auto again = engine_->analysts().PartnerMatch("acme", upload, analyst);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->json.substr(again->json.find("\"dimensions\"")), first->json.substr(first->json.find("\"dimensions\"")));
  std::string tiny;
  for (int i = 190; i < 195; ++i) tiny += Sha256Hex(EmailOf(i)) + "\n";
  for (int i = 2000; i < 2040; ++i) tiny += Sha256Hex(EmailOf(i)) + "\n";
  Engine::GroupProfileOptions one_dim = analyst;  // epsilon 1 on one dimension: 5 people never reach 50
  one_dim.epsilon = 1;
  one_dim.dimensions = {"gender"};
  auto small = engine_->analysts().PartnerMatch("acme", tiny, one_dim);
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_NE(small->json.find("\"size\":null"), std::string::npos) << small->json;
  EXPECT_EQ(small->json.find("\"count\":"), std::string::npos) << small->json;
  // Operators: exact, a tiny overlap refused under k, saying nothing of its size.
  auto refused = engine_->analysts().PartnerMatch("acme", tiny, Options50());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition) << refused.status().ToString();
  EXPECT_EQ(refused.status().message().find(" 5 "), std::string::npos) << refused.status().ToString();
  // Bad requests.
  EXPECT_EQ(engine_->analysts().PartnerMatch("Acme!", upload, Options50()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->analysts().PartnerMatch("acme", "header\nnope\n\n", Options50()).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(engine_->analysts()
                .PartnerMatch("acme", std::string(kPartnerUploadMaxBytes + 1, '\n'), Options50())
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PartnerUploadHashes(upload), 221u);
}

TEST_F(PartnerTest, OneTagPerEmailAndPhoneAndErasureTakesThePersonsTags) {
  Open();
  IngestPeople(0, 100, "people.jsonl");
  IngestPeople(0, 100, "again.jsonl");  // duplicates: nothing new
  IngestPeople(100, 120, "more.jsonl");
  std::vector<std::pair<std::string, std::string>> tags = Tags();
  EXPECT_EQ(tags.size(), 240u);  // an e-mail and a phone each; no raw or unkeyed hash stored
  std::set<std::string> nodes;
  for (const auto& [key, node] : tags) {
    EXPECT_EQ(key.size(), storage::keys::kMatchTagKeySize);
    EXPECT_EQ(node.size(), 16u);
    nodes.insert(node);
  }
  EXPECT_EQ(nodes.size(), 240u);
  for (int i = 0; i < 120; i += 7) {
    std::string unkeyed;
    unsigned char d[crypto_hash_sha256_BYTES];
    const std::string e = EmailOf(i);
    crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(e.data()), e.size());
    unkeyed.assign(reinterpret_cast<const char*>(d), sizeof(d));
    for (const auto& [key, node] : tags) ASSERT_EQ(key.find(unkeyed.substr(0, 16)), std::string::npos);
  }

  Engine::ErasureReport report;
  ASSERT_TRUE(engine_->privacy().ErasePerson("email:" + EmailOf(7), &report).ok());
  EXPECT_EQ(report.identifiers, 3u);  // user id, e-mail, phone
  EXPECT_EQ(Tags().size(), 238u);
  // The rest still match; the erased person is not among them.
  std::string upload;
  for (int i = 0; i < 60; ++i) upload += Sha256Hex(EmailOf(i)) + "\n";
  auto r = engine_->analysts().PartnerMatch("acme", upload, Options50());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(NumberAt(r->json, "size"), 59, 6) << r->json;
}

TEST_F(PartnerTest, MatchingSurvivesAKeyRotation) {
  Open();
  IngestPeople(0, 100, "people.jsonl");
  std::string upload;
  for (int i = 0; i < 80; ++i) upload += Sha256Hex(i % 2 ? EmailOf(i) : PhoneOf(i)) + "\n";
  auto before = engine_->analysts().PartnerMatch("acme", upload, Options50());
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  const auto tags_before = Tags();

  engine_.reset();
  Engine::RekeyReport report;
  Status s = Engine::Rekey(StoreOptions(), /*keep_old=*/false, nullptr, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  Open();
  // Tags keep their keys (generation 0), their nodes are re-keyed.
  const auto tags_after = Tags();
  ASSERT_EQ(tags_after.size(), tags_before.size());
  for (size_t i = 0; i < tags_after.size(); ++i) {
    EXPECT_EQ(tags_after[i].first, tags_before[i].first);
    EXPECT_NE(tags_after[i].second, tags_before[i].second);
  }
  auto after = engine_->analysts().PartnerMatch("acme", upload, Options50());
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_NEAR(NumberAt(after->json, "size"), 80, 8) << after->json;
  // People first seen after the rotation match too.
  IngestPeople(100, 170, "new.jsonl");
  std::string fresh;
  for (int i = 100; i < 170; ++i) fresh += Sha256Hex(EmailOf(i)) + "\n";
  auto r = engine_->analysts().PartnerMatch("acme", fresh, Options50());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(NumberAt(r->json, "size"), 70, 7) << r->json;
}

}  // namespace
}  // namespace holo
