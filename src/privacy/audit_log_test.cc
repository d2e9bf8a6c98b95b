#include "privacy/audit_log.h"

#include <gtest/gtest.h>

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
