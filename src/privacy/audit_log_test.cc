#include "privacy/audit_log.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/time_util.h"

namespace holo::privacy {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  std::string path_ = (std::filesystem::temp_directory_path() /
                       ("audit_log_test_" + std::to_string(::getpid()) + ".jsonl")).string();
  void TearDown() override { std::filesystem::remove(path_); }
  std::vector<std::string> Read(const AuditQuery& q, AuditVerification* v) {
    std::vector<std::string> lines;
    Status s = ReadAuditLog(path_, q, [&](std::string_view l) { lines.emplace_back(l); }, v);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return lines;
  }
};

TEST_F(AuditLogTest, ChainsEntriesAcrossReopensAndFilters) {
  {
    AuditLog log;
    ASSERT_TRUE(log.Open(path_).ok());
    ASSERT_TRUE(log.Append("alice", "admin", "profile.read", "oneid:1", 200).ok());
    ASSERT_TRUE(log.Append("bob", "activation", "segment.export", "segment:vip use:export", 200).ok());
    ASSERT_TRUE(log.Sync(true).ok());
  }
  {
    AuditLog log;  // a second process continues the chain
    ASSERT_TRUE(log.Open(path_).ok());
    ASSERT_TRUE(log.Append("cli:ops", "operator", "consent.withdraw", "oneid:1", 200).ok());
    ASSERT_TRUE(log.Append("cli:ops", "operator", "consent.give", "oneid:2", 200).ok());
  }
  AuditVerification v;
  EXPECT_EQ(Read(AuditQuery(), &v).size(), 4u);
  EXPECT_EQ(v.entries, 4u);
  EXPECT_EQ(v.first_broken_line, 0u) << v.why;
  AuditQuery q;
  q.action = "consent.";
  EXPECT_EQ(Read(q, &v).size(), 2u);
  q = AuditQuery();
  q.target = "oneid:1";
  EXPECT_EQ(Read(q, &v).size(), 2u);
  q.token = "alice";
  EXPECT_EQ(Read(q, &v).size(), 1u);
  q = AuditQuery();
  q.until_ms = NowMs() - 3600 * 1000;
  EXPECT_TRUE(Read(q, &v).empty());
}

// A log that cannot be written says so at the next Append (so that reads and exports are
// refused), keeps what it could not write, and writes it whole once it can: the chain holds.
TEST_F(AuditLogTest, AFailedWriteIsReportedKeptAndWrittenLater) {
  AuditLog log;
  ASSERT_TRUE(log.Open(path_).ok());
  ASSERT_TRUE(log.Append("alice", "admin", "profile.read", "oneid:1", 200).ok());
  ASSERT_TRUE(log.Sync(true).ok());
  const auto size = std::filesystem::file_size(path_);
  // The file may not grow (RLIMIT_FSIZE; writes past it fail with EFBIG, SIGXFSZ ignored).
  auto old_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit old_limit{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit small = old_limit;
  small.rlim_cur = size + 10;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  EXPECT_TRUE(log.Append("bob", "admin", "person.erase", "oneid:2", 200).ok());
  Status failed = log.Sync(true);
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("cannot write audit log"), std::string::npos) << failed.ToString();
  Status refused = log.Append("carol", "analyst", "segment.export", "segment:vip use:export", 200);
  EXPECT_FALSE(refused.ok()) << "an Append after a failed write must not look fine";
  EXPECT_EQ(std::filesystem::file_size(path_), size) << "no partial entry stays behind";
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  signal(SIGXFSZ, old_handler);
  ASSERT_TRUE(log.Sync(true).ok());
  EXPECT_TRUE(log.Append("dave", "admin", "profile.read", "oneid:3", 200).ok());
  ASSERT_TRUE(log.Sync(true).ok());
  AuditVerification v;
  std::vector<std::string> lines = Read(AuditQuery(), &v);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_NE(lines[1].find("person.erase"), std::string::npos);
  EXPECT_NE(lines[2].find("carol"), std::string::npos);
  EXPECT_EQ(v.first_broken_line, 0u) << v.why;
}

TEST_F(AuditLogTest, AnEditedOrDeletedEntryBreaksTheChain) {
  {
    AuditLog log;
    ASSERT_TRUE(log.Open(path_).ok());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(log.Append("alice", "admin", "profile.read", "oneid:" + std::to_string(i), 200).ok());
  }
  std::vector<std::string> lines;
  {
    std::ifstream in(path_);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  ASSERT_EQ(lines.size(), 4u);
  auto write = [&](const std::vector<std::string>& ls) {
    std::ofstream out(path_, std::ios::trunc);
    for (const auto& l : ls) out << l << '\n';
  };
  std::vector<std::string> edited = lines;
  edited[1].replace(edited[1].find("oneid:1"), 7, "oneid:9");
  write(edited);
  AuditVerification v;
  Read(AuditQuery(), &v);
  EXPECT_EQ(v.first_broken_line, 3u) << v.why;
  std::vector<std::string> deleted = {lines[0], lines[2], lines[3]};
  write(deleted);
  Read(AuditQuery(), &v);
  EXPECT_EQ(v.first_broken_line, 2u) << v.why;
  write(lines);
  Read(AuditQuery(), &v);
  EXPECT_EQ(v.first_broken_line, 0u);
}

}  // namespace
}  // namespace holo::privacy
