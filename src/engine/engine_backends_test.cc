// The engine on both backends of storage::Store: a small generated world ingested and
// resolved, one person erased, a retention window applied — on RocksDB (Engine::Open) and
// on the in-memory store (EngineImpl::OpenOver), with the same answers from both.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/engine_impl.h"
#include "holo/engine.h"
#include "holo/generate.h"
#include "storage/store.h"
#include "testing/store_backends.h"
#include "testing/test_util.h"

namespace holo::engine {
namespace {

namespace fs = std::filesystem;
using holo::testing::StoreBackend;

// The end of the generated worlds' default window (2026-11-01T00:00:00Z), as
// engine_test_util.h: windowed traits do not drift with the wall clock.
constexpr int64_t kNowMs = 1793491200000;

// What one run answers; the same on both backends.
struct Answers {
  StoreStats ingested;
  uint64_t resolved_truth_rows = 0;  // truth rows whose identifier has a OneID
  uint64_t people = 0;               // distinct OneIDs among them
  uint64_t victim_rows = 0;
  Engine::ErasureReport erased;
  uint64_t victim_rows_left = 0;  // of the erased person's identifiers still resolving
  StoreStats after_erasure;
  Engine::RetentionReport retention;
  StoreStats after_retention;
  uint64_t exported_events = 0;

  // The fields compared across backends (timings and OneIDs left out).
  std::vector<uint64_t> Figures() const {
    return {ingested.events,     ingested.identifiers,  ingested.oneids,         ingested.vault_entries,
            resolved_truth_rows, people,                victim_rows,             erased.identifiers,
            erased.events_deleted, erased.events_rewritten, erased.vault_entries_removed,
            victim_rows_left,    after_erasure.events,  after_erasure.identifiers, after_erasure.oneids,
            retention.expired_events, retention.profiles_rebuilt, after_retention.events,
            after_retention.oneids, exported_events};
  }
};

// Opens an engine over `backend`, ingests the generated world in `world_dir` and runs the
// scenario; the answers in *out.
void RunScenario(StoreBackend backend, const std::string& world_dir, Answers* out) {
  holo::testing::TempDir dir("engine_backends");
  Options options;
  options.data_dir = dir / "data";
  options.now_ms = kNowMs;
  std::unique_ptr<Engine> engine;
  if (backend == StoreBackend::kRocksDb) {
    auto opened = Engine::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine = std::move(opened).value();
  } else {
    fs::create_directories(options.data_dir);  // dead letters; the keyring beside it
    auto opened = EngineImpl::OpenOver(options, storage::Store::OpenInMemory());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    engine = std::move(opened).value();
  }

  // Ingest and resolve.
  IngestReport ingest;
  Status s = engine->Ingest({world_dir}, IngestOptions(), &ingest);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto stats = engine->Stats();
  ASSERT_TRUE(stats.ok());
  out->ingested = *stats;
  std::map<uint64_t, std::vector<holo::testing::TruthRow>> by_oneid;
  for (const auto& row : holo::testing::ReadTruthCsv(world_dir + "/truth.csv")) {
    auto id = engine->LookupOneId(row.type, row.value);
    if (id.ok() && *id != 0) {
      by_oneid[*id].push_back(row);
      out->resolved_truth_rows++;
    }
  }
  out->people = by_oneid.size();
  ASSERT_GT(out->people, 10u);

  // Erase the person with the most identifiers (the first such OneID).
  const std::vector<holo::testing::TruthRow>* victim = nullptr;
  for (const auto& [id, rows] : by_oneid) {
    if (victim == nullptr || rows.size() > victim->size()) victim = &rows;
  }
  out->victim_rows = victim->size();
  const holo::testing::TruthRow handle = victim->front();
  s = engine->privacy().ErasePerson(handle.type + ":" + handle.value, &out->erased);
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (const auto& row : *victim) {
    auto id = engine->LookupOneId(row.type, row.value);
    if (id.ok() && *id != 0) out->victim_rows_left++;
  }
  stats = engine->Stats();
  ASSERT_TRUE(stats.ok());
  out->after_erasure = *stats;

  // A window on one source: its events older than 30 days go at compaction.
  ASSERT_TRUE(engine->privacy().SetRetention(R"({"taobao": 30})").ok());
  s = engine->privacy().ApplyRetention(&out->retention);
  ASSERT_TRUE(s.ok()) << s.ToString();
  stats = engine->Stats();
  ASSERT_TRUE(stats.ok());
  out->after_retention = *stats;
  std::ostringstream exported;
  ASSERT_TRUE(engine->ExportEvents(exported).ok());
  out->exported_events = holo::testing::Lines(exported.str()).size();
}

// What holds on either backend.
void CheckAnswers(const Answers& a) {
  EXPECT_GT(a.ingested.events, 100u);
  EXPECT_GT(a.victim_rows, 1u);
  EXPECT_GT(a.erased.events_deleted, 0u);
  EXPECT_GT(a.erased.vault_entries_removed, 0u) << "their addresses leave the vault";
  EXPECT_EQ(a.victim_rows_left, 0u) << "the erased identifiers resolve to nobody";
  EXPECT_EQ(a.after_erasure.events, a.ingested.events - a.erased.events_deleted);
  EXPECT_GT(a.retention.expired_events, 0u);
  EXPECT_EQ(a.after_retention.events, a.after_erasure.events - a.retention.expired_events);
  EXPECT_EQ(a.exported_events, a.after_retention.events);
}

// One test for both backends (one small world): each run answers sensibly, and the
// in-memory store is RocksDB's twin for the engine, figure for figure.
TEST(EngineBackendsTest, IngestResolveEraseAndRetentionAnswerTheSameOnBothBackends) {
  holo::testing::TempDir dir("engine_backends_world");
  WorldOptions world;
  world.persons = 80;
  world.seed = 11;
  world.out_dir = dir / "world";
  fs::create_directories(world.out_dir);
  ASSERT_TRUE(GenerateWorld(world, nullptr, nullptr).ok());
  Answers rocks, memory;
  {
    SCOPED_TRACE("RocksDB");
    ASSERT_NO_FATAL_FAILURE(RunScenario(StoreBackend::kRocksDb, world.out_dir, &rocks));
    CheckAnswers(rocks);
  }
  {
    SCOPED_TRACE("memory");
    ASSERT_NO_FATAL_FAILURE(RunScenario(StoreBackend::kMemory, world.out_dir, &memory));
    CheckAnswers(memory);
  }
  EXPECT_EQ(rocks.Figures(), memory.Figures());
}

}  // namespace
}  // namespace holo::engine
