// `holo stores` on the real captures of ../shared/datasets/stores, through the binary: the
// occupancy CSV (header, clock-aligned windows without a zone for zone-less input) scored
// against the room's hand-logged occupancy, and the device count behind randomized MACs
// against the labelled devices. The figures with their baselines are in bench/RESULTS.md
// (build/src/stores/stores_eval); these are the floors a change must not fall through.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "testing/test_util.h"

namespace holo {
namespace {

namespace fs = std::filesystem;

std::string Shared() {
  const char* s = std::getenv("HOLO_SHARED");
  return s ? s : "";
}

std::vector<std::string> Captures(const std::string& dir, const std::string& contains = "") {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string p = e.path().string();
    if (e.path().extension() == ".csv" && p.find(contains) != std::string::npos) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string HoloOk(std::vector<std::string> args) {
  args.insert(args.begin(), testing::HoloBinary());
  std::string out, err;
  EXPECT_EQ(testing::RunCommand(args, "", &out, &err), 0) << err;
  return out;
}

// The hand-logged occupancy per 5-minute window ("YYYY-MM-DDTHH:MM:00" -> mean).
std::map<std::string, double> Truth(const std::vector<std::string>& files) {
  std::map<std::string, std::pair<double, int>> sum;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::string w = line.substr(0, 16);  // "YYYY-MM-DD HH:MM"
      w[10] = 'T';
      w[15] = static_cast<char>('0' + (w[15] - '0') / 5 * 5);
      auto& [s, n] = sum[w + ":00"];
      s += std::stod(line.substr(line.rfind(';') + 1));
      ++n;
    }
  }
  std::map<std::string, double> out;
  for (const auto& [w, sn] : sum) out[w] = sn.first / sn.second;
  return out;
}

struct Score {
  double mae, r;
  size_t windows;
};
Score ScoreCsv(const std::string& csv, const std::map<std::string, double>& truth) {
  std::map<std::string, double> est;
  const auto lines = testing::Lines(csv);
  EXPECT_EQ(lines.at(0), "window_start,estimate");
  static const std::regex kRow(R"(^(\d{4}-\d\d-\d\dT\d\d:\d\d:00),(\d+\.\d\d)$)");
  for (size_t i = 1; i < lines.size(); ++i) {
    std::smatch m;
    EXPECT_TRUE(std::regex_match(lines[i], m, kRow)) << "not a zone-less window_start,estimate row: " << lines[i];
    if (m.empty()) continue;
    EXPECT_EQ(std::stoi(m[1].str().substr(14, 2)) % 5, 0) << "not aligned to :00, :05, ...: " << lines[i];
    est[m[1]] = std::stod(m[2]);
  }
  std::vector<double> p, y;
  for (const auto& [w, t] : truth) {
    auto it = est.find(w);
    p.push_back(it == est.end() ? 0.0 : it->second);
    y.push_back(t);
  }
  double err = 0, mp = 0, my = 0;
  int n = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (y[i] > 0) err += std::fabs(p[i] - y[i]), ++n;
    mp += p[i], my += y[i];
  }
  mp /= p.size(), my /= p.size();
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    sxy += (p[i] - mp) * (y[i] - my), sxx += (p[i] - mp) * (p[i] - mp), syy += (y[i] - my) * (y[i] - my);
  }
  return {err / n, sxy / std::sqrt(sxx * syy), p.size()};
}

TEST(StoresRealDataTest, OccupancyOfTheLabCapturesAgainstTheHandLoggedCounts) {
  const std::string dir = Shared() + "/datasets/stores/wifi_probe_occupancy_brno";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is missing";
  testing::TempDir tmp("stores_real");
  const std::string data = tmp / "data";
  // Every capture in one store (the calibration was fitted on them: an in-sample check).
  const auto all = Captures(dir);
  std::vector<std::string> args{"stores", "import", "--data", data, "--store", "lab"};
  args.insert(args.end(), all.begin(), all.end());
  HoloOk(args);
  Score s = ScoreCsv(HoloOk({"stores", "occupancy", "--data", data, "--store", "lab", "--interval", "5m", "--csv"}),
                     Truth(all));
  EXPECT_GT(s.windows, 500u);
  EXPECT_LE(s.mae, 3.0);
  EXPECT_GE(s.r, 0.95);
  // Four captures imported alone into a store of their own (residents found from them only).
  const auto november = Captures(dir, "2022-11-0");
  std::vector<std::string> args2{"stores", "import", "--data", data, "--store", "november"};
  args2.insert(args2.end(), november.begin(), november.end());
  HoloOk(args2);
  s = ScoreCsv(HoloOk({"stores", "occupancy", "--data", data, "--store", "november", "--csv"}), Truth(november));
  EXPECT_LE(s.mae, 3.0);
  EXPECT_GE(s.r, 0.9);
}

TEST(StoresRealDataTest, DevicesBehindRandomizedMacs) {
  const std::string dir = Shared() + "/datasets/stores/wifi_probe_labeled_derand";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is missing";
  testing::TempDir tmp("stores_real");
  const auto files = Captures(dir);
  ASSERT_EQ(files.size(), 7u);
  std::vector<std::string> args{"stores", "import", "--data", tmp / "data", "--store", "lab"};
  args.insert(args.end(), files.begin(), files.end());
  HoloOk(args);
  const std::string out = HoloOk({"stores", "devices", "--data", tmp / "data", "--store", "lab", "--json"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"("devices":(\d+))"))) << out;
  const int devices = std::stoi(m[1]);
  EXPECT_LE(std::abs(devices - 7), 1) << "7 phones sending under " << out;
  // Hundreds of MACs, not hundreds of devices.
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"("randomized_macs":(\d+))"))) << out;
  EXPECT_GT(std::stoi(m[1]), 500);
}

}  // namespace
}  // namespace holo
