// The engine on a full disk (issue 15, "Faults"): ingestion fails with one line and
// no crash, reads go on, nothing acknowledged is lost; a read-only engine opens
// beside a writer and refuses writes. The full disk is injected by storage's test
// hook (HOLO_TEST_DISK_BUDGET_BYTES, storage/disk_budget_fs.h) over real RocksDB.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "engine/engine_test_util.h"
#include "holo/engine.h"
#include "holo/generate.h"
#include "testing/test_util.h"

namespace holo {
namespace {

std::string MessageId(const std::string& line) {
  size_t p = line.find("\"messageId\":\"");
  if (p == std::string::npos) return "";
  p += 13;
  return line.substr(p, line.find('"', p) - p);
}

class DiskFaultTest : public testing::GeneratedWorldTest {
 protected:
  DiskFaultTest() : GeneratedWorldTest("disk_fault_test", 200, 11) {}
  void TearDown() override { unsetenv("HOLO_TEST_DISK_BUDGET_BYTES"); }
};

TEST_F(DiskFaultTest, FullDiskRefusesIngestOnOneLineKeepsReadsAndLosesNothingAcknowledged) {
  auto before = engine_->Stats();
  ASSERT_TRUE(before.ok());
  const testing::TruthRow known = truth_[0];
  auto profile_before = engine_->ProfileJson(std::to_string(OneId(known)));
  ASSERT_TRUE(profile_before.ok()) << profile_before.status().ToString();

  // A second, bigger world, ingested on a disk with 2 MiB left.
  WorldOptions world;
  world.persons = 2000;
  world.seed = 12;
  world.out_dir = dir_ / "world2";
  std::filesystem::create_directories(world.out_dir);
  ASSERT_TRUE(GenerateWorld(world, nullptr, nullptr).ok());
  ASSERT_TRUE(engine_->CompactStore().ok());  // the reopen then has no memtable to flush
  engine_.reset();
  setenv("HOLO_TEST_DISK_BUDGET_BYTES", "2097152", 1);
  Open();
  ASSERT_TRUE(engine_);
  std::map<std::string, uint64_t> acked;  // file -> last acknowledged line
  IngestOptions io;
  io.batch_lines = 200;
  io.on_batch = [&](const IngestProgress& p) { acked[p.file] = p.line; };
  IngestReport report;
  Status s = engine_->Ingest({dir_ / "world2"}, io, &report);
  ASSERT_FALSE(s.ok()) << "the disk never filled up";
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("disk full (No space left on device); writes refused, reads go on"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(s.message().find('\n'), std::string::npos);
  ASSERT_FALSE(acked.empty()) << "no batch was acknowledged before the disk filled up";

  // Reads go on: stats, a profile, a look-up.
  auto during = engine_->Stats();
  ASSERT_TRUE(during.ok()) << during.status().ToString();
  EXPECT_GE(during->events, before->events);
  auto profile = engine_->ProfileJson(std::to_string(OneId(known)));
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_EQ(*profile, *profile_before);
  // Writes stay refused, each with the same one line.
  ResolveReport rr;
  Status again = engine_->Resolve(false, &rr);
  EXPECT_FALSE(again.ok());

  // Reopened with room on the disk: every acknowledged line is stored.
  engine_.reset();
  unsetenv("HOLO_TEST_DISK_BUDGET_BYTES");
  Open();
  std::ostringstream events;
  ASSERT_TRUE(engine_->ExportEvents(events).ok());
  std::set<std::string> stored;
  std::istringstream in(events.str());
  for (std::string line; std::getline(in, line);) {
    size_t p = line.find("\"message_id\":\"") + 14;
    stored.insert(line.substr(p, line.find('"', p) - p));
  }
  uint64_t checked = 0;
  for (const auto& [file, last] : acked) {
    std::istringstream lines(testing::ReadFile(file));
    std::string line;
    for (uint64_t n = 1; n <= last && std::getline(lines, line); ++n, ++checked) {
      ASSERT_TRUE(stored.count(MessageId(line))) << file << ":" << n << " was acknowledged but is not stored";
    }
  }
  EXPECT_GT(checked, 0u);
  EXPECT_EQ(*engine_->ProfileJson(std::to_string(OneId(known))), *profile_before);
  // And ingestion goes on where it stopped (what is stored is recognized as duplicates).
  ASSERT_TRUE(engine_->Ingest({dir_ / "world2"}, IngestOptions(), &report).ok());
  EXPECT_EQ(report.rejected, 0u);
}

TEST_F(DiskFaultTest, ReadOnlyEngineOpensBesideAWriterAndRefusesWrites) {
  Options ro = StoreOptions();
  ro.read_only = true;
  auto reader = Engine::Open(ro);  // engine_ holds the store's LOCK
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto stats = (*reader)->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  auto writer_stats = engine_->Stats();
  EXPECT_EQ(stats->events, writer_stats->events);
  EXPECT_EQ(stats->oneids, writer_stats->oneids);
  const uint64_t oneid = OneId(truth_[0]);
  auto by_reader = (*reader)->ProfileJson(std::to_string(oneid));
  ASSERT_TRUE(by_reader.ok()) << by_reader.status().ToString();
  EXPECT_EQ(*by_reader, *engine_->ProfileJson(std::to_string(oneid)));
  // Writes are refused with a clear error.
  testing::WriteFile(dir_ / "more.jsonl",
                     R"({"type":"identify","messageId":"ro-1","userId":"ro-user","timestamp":"2026-01-01T00:00:00Z"})" "\n");
  IngestReport report;
  Status s = (*reader)->Ingest({dir_ / "more.jsonl"}, IngestOptions(), &report);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("read-only"), std::string::npos) << s.ToString();
  // The writer goes on beside it.
  Status w = engine_->Ingest({dir_ / "more.jsonl"}, IngestOptions(), &report);
  EXPECT_TRUE(w.ok()) << w.ToString();
  EXPECT_EQ(report.stored, 1u);
}

}  // namespace
}  // namespace holo
