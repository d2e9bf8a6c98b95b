// Erasure against a real store and a generated world: after ErasePerson, no column
// family holds the person's pseudonyms (raw or hex) or raw identifier values — neither
// through the store's iterators nor in the files on disk after compaction; other people
// keep their data; the erased identifiers seen again start a fresh person who counts as
// having withdrawn every consent until a newer decision.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "holo/engine.h"
#include "privacy/pseudonymizer.h"
#include "storage/store.h"
#include "engine/engine_test_util.h"
#include "testing/test_util.h"

namespace holo {
namespace {

namespace fs = std::filesystem;

using Row = testing::TruthRow;

// Every 32-hex-digit run inside the "identifiers" object of a profile.
std::set<std::string> IdentifierHexes(const std::string& profile) {
  std::set<std::string> out;
  size_t from = profile.find("\"identifiers\":{");
  size_t to = profile.find('}', from);
  for (size_t i = from; i < to; ++i) {
    size_t j = i;
    while (j < to && std::isxdigit(static_cast<unsigned char>(profile[j]))) ++j;
    if (j - i == 32) out.insert(profile.substr(i, 32));
    i = j;
  }
  return out;
}

class ErasureTest : public testing::GeneratedWorldTest {
 protected:
  ErasureTest() : GeneratedWorldTest("erasure_test", /*persons=*/400, /*seed=*/5) {}
};

TEST_F(ErasureTest, LeavesNoTraceInAnyColumnFamilyOrFileAndOthersKeepTheirs) {
  const std::vector<Row>& truth = truth_;
  // The victim: the OneID with the most identifiers among people whose alipay account
  // pays other people's family-card payments, so that others' events reference them
  // (properties.card_owner, stored as the pseudonym) and must be rewritten.
  std::set<std::string> card_owners;
  for (const std::string& line : testing::Lines(testing::ReadFile(dir_ / "world/alipay.jsonl"))) {
    size_t at = line.find("\"card_owner\":\"");
    if (at == std::string::npos) continue;
    at += 14;
    card_owners.insert(line.substr(at, line.find('"', at) - at));
  }
  ASSERT_FALSE(card_owners.empty());
  std::map<uint64_t, std::vector<Row>> by_oneid;
  for (const Row& r : truth) {
    if (uint64_t id = OneId(r)) by_oneid[id].push_back(r);
  }
  uint64_t victim = 0;
  Row handle;
  for (const auto& [id, rows] : by_oneid) {
    for (const Row& r : rows) {
      if (r.type == "user_id@alipay" && card_owners.count(r.value) &&
          (victim == 0 || rows.size() > by_oneid[victim].size())) {
        victim = id;
        handle = r;
      }
    }
  }
  ASSERT_NE(victim, 0u);
  const std::vector<Row> victim_rows = by_oneid[victim];
  ASSERT_GT(victim_rows.size(), 5u);
  auto profile = engine_->ProfileJson(std::to_string(victim));
  ASSERT_TRUE(profile.ok());
  const std::set<std::string> hexes = IdentifierHexes(*profile);
  ASSERT_GT(hexes.size(), 5u);  // (several truth rows can name one identifier: tmall and taobao accounts)
  std::vector<std::string> needles;  // raw pseudonyms, hex pseudonyms, raw values
  for (const std::string& h : hexes) {
    auto p = privacy::PseudonymFromHex(h);
    ASSERT_TRUE(p.ok());
    needles.emplace_back(reinterpret_cast<const char*>(p->data()), p->size());
    needles.push_back(h);
  }
  for (const Row& r : victim_rows) {
    if (r.value.size() >= 8) needles.push_back(r.value);
  }
  // Someone else, to check they keep their data.
  Row other;
  uint64_t other_id = 0;
  for (const auto& [id, rows] : by_oneid) {
    if (id != victim && rows.size() > 3) {
      other = rows.front();
      other_id = id;
      break;
    }
  }
  ASSERT_NE(other_id, 0u);
  auto other_before = engine_->ProfileJson(std::to_string(other_id));
  ASSERT_TRUE(other_before.ok());
  ASSERT_TRUE(engine_->audiences().DefineSegment("everyone", "order_count >= 0").ok());
  auto segments = engine_->serving().SegmentsOf(victim);
  ASSERT_TRUE(segments.ok());
  ASSERT_FALSE(segments->empty());
  auto stats_before = engine_->Stats();
  ASSERT_TRUE(stats_before.ok());

  Engine::ErasureReport report;
  Status s = engine_->privacy().ErasePerson(handle.type + ":" + handle.value, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.oneid, victim);
  EXPECT_EQ(report.identifiers, hexes.size());
  EXPECT_GT(report.events_deleted, 10u);
  EXPECT_GT(report.events_rewritten, 0u) << "the family-card payments of others name the owner";
  EXPECT_GT(report.vault_entries_removed, 0u) << "their delivery addresses leave the vault";

  // Gone from every answer; everybody else unchanged.
  EXPECT_EQ(OneId(handle), 0u);
  for (const Row& r : victim_rows) EXPECT_EQ(OneId(r), 0u) << r.type << ":" << r.value;
  EXPECT_EQ(engine_->ProfileJson(std::to_string(victim)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(OneId(other), other_id);
  auto other_after = engine_->ProfileJson(std::to_string(other_id));
  ASSERT_TRUE(other_after.ok());
  EXPECT_EQ(IdentifierHexes(*other_after), IdentifierHexes(*other_before));
  auto segments_after = engine_->serving().SegmentsOf(victim);
  EXPECT_TRUE(!segments_after.ok() || segments_after->empty());
  auto info = engine_->audiences().GetSegment("everyone");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->members, stats_before->oneids - 1);
  auto stats_after = engine_->Stats();
  ASSERT_TRUE(stats_after.ok());
  EXPECT_EQ(stats_after->events, stats_before->events - report.events_deleted) << "stats count the stored events";
  std::ostringstream exported;
  ASSERT_TRUE(engine_->ExportEvents(exported).ok());
  EXPECT_EQ(stats_after->events, testing::Lines(exported.str()).size());
  EXPECT_EQ(stats_after->pending_nodes, 0u);

  // Every column family, through the store's iterators, then every file after compaction.
  engine_.reset();
  {
    auto store = storage::Store::Open(dir_ / "data", storage::StoreOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    size_t scanned = 0;
    for (int c = 0; c < static_cast<int>(storage::Cf::kCount); ++c) {
      auto cf = static_cast<storage::Cf>(c);
      auto it = (*store)->NewCursor(cf);
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        ++scanned;
        const std::string k(it->key()), v(it->value());
        for (const std::string& n : needles) {
          ASSERT_EQ(k.find(n), std::string::npos) << "key in " << storage::CfName(cf);
          ASSERT_EQ(v.find(n), std::string::npos) << "value in " << storage::CfName(cf) << ": " << v.substr(0, 300);
        }
      }
      ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    }
    EXPECT_GT(scanned, 10000u);
    ASSERT_TRUE((*store)->CompactAll().ok());
  }
  // Reopened once more: RocksDB starts a new MANIFEST holding only the live files (the old
  // one also listed the key ranges of files that compaction deleted).
  ASSERT_TRUE(storage::Store::Open(dir_ / "data", storage::StoreOptions()).ok());
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_ / "data")) {
    if (!entry.is_regular_file()) continue;
    ++files;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string data = bytes.str();
    for (const std::string& n : needles) {
      ASSERT_EQ(data.find(n), std::string::npos) << entry.path();
    }
  }
  EXPECT_GT(files, 5u);

  // Seen again: a fresh person, with every consent withdrawn at the erasure...
  Open();
  IngestLines("again.jsonl", handle.source,
              R"({"type":"track","event":"Order Completed","messageId":"again-1","userId":")" + handle.value +
                  R"(","timestamp":"2026-10-30T10:00:00Z","properties":{"revenue":10}})" "\n");
  const uint64_t fresh = OneId(handle);
  ASSERT_NE(fresh, 0u);
  EXPECT_NE(fresh, victim);
  auto fresh_profile = engine_->ProfileJson(std::to_string(fresh));
  ASSERT_TRUE(fresh_profile.ok());
  EXPECT_NE(fresh_profile->find(R"("order_count":1)"), std::string::npos) << "no history comes back";
  auto allowed = engine_->privacy().ConsentAllows(fresh, "export");
  ASSERT_TRUE(allowed.ok());
  EXPECT_FALSE(*allowed);
  auto consent = engine_->privacy().ConsentJson(std::to_string(fresh));
  ASSERT_TRUE(consent.ok());
  EXPECT_NE(consent->find(R"("source":"erasure")"), std::string::npos) << *consent;
  // ... until they decide again.
  IngestLines("consent.jsonl", handle.source,
              R"({"type":"track","event":"Consent Given","messageId":"again-2","userId":")" + handle.value +
                  R"(","timestamp":"2026-11-01T12:00:00Z","properties":{"purposes":["marketing"]}})" "\n");
  allowed = engine_->privacy().ConsentAllows(fresh, "export");
  ASSERT_TRUE(allowed.ok());
  EXPECT_TRUE(*allowed);
}

}  // namespace
}  // namespace holo
