// Fixtures shared by the engine's tests against a real store (test-only).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "holo/engine.h"
#include "holo/generate.h"
#include "testing/test_util.h"

namespace holo::testing {

// An engine over a store at dir_/data in a fresh temporary directory.
class EngineStoreTest : public ::testing::Test {
 protected:
  explicit EngineStoreTest(const std::string& name) : dir_(name) {}

  // The clock of these tests: the end of the generated worlds' default window
  // (2026-11-01T00:00:00Z), so that windowed traits do not drift with the wall clock.
  static constexpr int64_t kNowMs = 1793491200000;
  // The store's options; create_if_missing is false (Open creates).
  Options StoreOptions() const {
    Options options;
    options.data_dir = dir_ / "data";
    options.create_if_missing = false;
    options.now_ms = kNowMs;
    return options;
  }
  // (Re)opens the engine, creating the store on first use.
  void Open() {
    engine_.reset();
    Options options = StoreOptions();
    options.create_if_missing = true;
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value();
  }
  // Writes `lines` (JSON lines) to dir_/`file` and ingests it as `source` (empty: the file's
  // name); the report, the ingest itself expected to succeed.
  IngestReport IngestFile(const std::string& file, const std::string& lines, const std::string& source = "") {
    WriteFile(dir_ / file, lines);
    IngestOptions options;
    options.source = source;
    IngestReport report;
    Status s = engine_->Ingest({dir_ / file}, options, &report);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return report;
  }
  // The same, every line expected to be accepted.
  void IngestLines(const std::string& file, const std::string& source, const std::string& lines) {
    ASSERT_EQ(IngestFile(file, lines, source).rejected, 0u);
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

// A store holding a generated world (dir_/world, ground truth in truth_), ingested.
class GeneratedWorldTest : public EngineStoreTest {
 protected:
  GeneratedWorldTest(const std::string& name, uint64_t persons, uint64_t seed)
      : EngineStoreTest(name), persons_(persons), seed_(seed) {}

  void SetUp() override {
    WorldOptions world;
    world.persons = persons_;
    world.seed = seed_;
    world.out_dir = dir_ / "world";
    std::filesystem::create_directories(world.out_dir);
    ASSERT_TRUE(GenerateWorld(world, nullptr, nullptr).ok());
    Open();
    IngestReport report;
    ASSERT_TRUE(engine_->Ingest({dir_ / "world"}, IngestOptions(), &report).ok());
    truth_ = ReadTruthCsv(dir_ / "world/truth.csv");
  }
  // The OneID of a truth row's identifier; 0 when it has none.
  uint64_t OneId(const TruthRow& r) {
    auto id = engine_->LookupOneId(r.type, r.value);
    return id.ok() ? *id : 0;
  }

  std::vector<TruthRow> truth_;

 private:
  uint64_t persons_, seed_;
};

}  // namespace holo::testing
