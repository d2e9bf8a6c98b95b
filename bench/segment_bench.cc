// segment_bench: the segment engine at scale.
//
//   segment_bench --write-table FILE.tsv --rows N [--seed S]
//       Writes a deterministic synthetic profile table (plain TSV, header line;
//       the same file feeds the ClickHouse/SQLite side-by-side).
//   segment_bench --table FILE.tsv --queries Q.txt [--repeat R]
//       Loads the TSV into a TraitTable, evaluates each query R times and prints
//       query_index<TAB>cardinality<TAB>p50_ms<TAB>p99_ms<TAB>min_ms.
//   segment_bench --rows N --segments S --changes C [--seed S] [--threads T] [--verify K] [--batches B]
//       Synthetic table in memory, S random segments, then B times (default 1):
//       C changed rows, one timed Refresh, K segments checked against full
//       re-evaluation.
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "segment/evaluator.h"
#include "segment/expr.h"
#include "segment/segment_set.h"
#include "segment/trait_table.h"

namespace {

using holo::segment::Evaluate;
using holo::segment::SegmentSet;
using holo::segment::TraitRow;
using holo::segment::TraitTable;

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

long PeakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

// splitmix64: deterministic on every platform (std distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  int Int(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  double Normal() {
    double u1 = std::max(Uniform(), 1e-300), u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Index drawn with probability proportional to weights.
  int Weighted(const std::vector<double>& cumulative) {
    double x = Uniform() * cumulative.back();
    return static_cast<int>(std::upper_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
  }

 private:
  uint64_t s_;
};

const char* const kCities[] = {"Shanghai", "Beijing",  "Guangzhou", "Shenzhen", "Hangzhou", "Chengdu", "Chongqing",
                               "Wuhan",    "Nanjing",  "Suzhou",    "Tianjin",  "Xian",     "Changsha", "Zhengzhou",
                               "Qingdao",  "Dongguan", "Shenyang",  "Ningbo",   "Kunming",  "Hefei"};
const int kCityTier[] = {1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
const char* const kCategories[] = {"apparel", "beauty", "electronics", "home",   "food",
                                   "sports",  "books",  "toys",        "luxury", "travel"};
const char* const kBrands[] = {
    "Gucci",   "Prada",    "Chanel",   "Dior",      "Hermes",     "LouisVuitton", "Burberry", "Cartier", "Rolex",
    "Coach",   "Nike",     "Adidas",   "Uniqlo",    "Zara",       "HM",           "Anta",     "LiNing",  "Apple",
    "Huawei",  "Xiaomi",   "Samsung",  "Sony",      "Oppo",       "Vivo",         "Lancome",  "Estee",   "Shiseido",
    "Loreal",  "SK2",      "Clinique", "Ikea",      "Muji",       "Midea",        "Haier",    "Gree",    "Nestle",
    "Danone",  "Mengniu",  "Yili",     "ThreeSquirrels", "Lego",  "Bandai",       "Decathlon", "Lululemon",
    "NewBalance", "Puma",  "Starbucks", "Luckin",   "Ctrip",      "Fliggy"};
constexpr int kBrandCount = 50;
const char* const kCommute[] = {"car", "subway", "bus", "bike", "walk", ""};

std::vector<double> Cumulative(const std::vector<double>& w) {
  std::vector<double> c(w.size());
  double s = 0;
  for (size_t i = 0; i < w.size(); ++i) c[i] = s += w[i];
  return c;
}

int SpendingPowerTier(double spend) {
  if (spend < 300) return 1;
  if (spend < 1500) return 2;
  if (spend < 5000) return 3;
  if (spend < 15000) return 4;
  return 5;
}

// One synthetic profile.
struct Profile {
  int age;
  const char* gender;
  int city;
  double spend;
  int orders;
  int category;  // -1: none
  int brands[3];
  int brand_count;
  int lux_orders;
  int consent;
  int household;
  int commute;
};

class ProfileGenerator {
 public:
  explicit ProfileGenerator(uint64_t seed) : rng_(seed) {
    std::vector<double> w;
    for (int i = 0; i < 20; ++i) w.push_back(1.0 / std::pow(i + 1.0, 0.8));
    city_ = Cumulative(w);
    category_ = Cumulative({22, 18, 14, 12, 10, 8, 5, 5, 3, 3});
    w.clear();
    for (int i = 0; i < kBrandCount; ++i) w.push_back(1.0 / std::pow(i + 4.0, 0.9));
    brand_ = Cumulative(w);
    lux_brand_ = Cumulative({30, 15, 12, 12, 8, 8, 5, 4, 3, 3});
    household_ = Cumulative({20, 30, 25, 15, 7, 3});
    commute_ = Cumulative({25, 30, 15, 10, 8, 12});
  }

  Profile Next() {
    Profile p{};
    p.age = std::clamp(static_cast<int>(std::lround(38 + 12 * rng_.Normal())), 18, 80);
    p.gender = rng_.Uniform() < 0.03 ? "" : (rng_.Uniform() < 0.52 ? "F" : "M");
    p.city = rng_.Weighted(city_);
    p.orders = rng_.Uniform() < 0.15 ? 0 : static_cast<int>(std::exp(1.5 + 1.0 * rng_.Normal()));
    p.spend = p.orders == 0 ? 0 : std::round(std::exp(6.3 + 1.4 * rng_.Normal()) * 100) / 100;
    bool luxury_buyer = p.orders > 0 && (rng_.Uniform() < 0.04 || (p.spend > 5000 && rng_.Uniform() < 0.35));
    p.category = p.orders == 0 ? -1 : (luxury_buyer && rng_.Uniform() < 0.6 ? 8 : rng_.Weighted(category_));
    p.brand_count = p.orders == 0 ? 0 : std::min(3, rng_.Int(4));
    for (int i = 0; i < p.brand_count; ++i) {
      p.brands[i] = luxury_buyer && rng_.Uniform() < 0.5 ? rng_.Weighted(lux_brand_) : rng_.Weighted(brand_);
      for (int j = 0; j < i; ++j) {
        if (p.brands[j] == p.brands[i]) {
          --p.brand_count;
          --i;
          break;
        }
      }
    }
    p.lux_orders = luxury_buyer ? 1 + static_cast<int>(std::exp(0.3 + 0.8 * rng_.Normal())) : 0;
    p.consent = rng_.Uniform() < 0.7 ? 1 : 0;
    p.household = 1 + rng_.Weighted(household_);
    p.commute = rng_.Weighted(commute_);
    return p;
  }

 private:
  Rng rng_;
  std::vector<double> city_, category_, brand_, lux_brand_, household_, commute_;
};

constexpr const char* kHeader =
    "oneid\tage\tgender\tcity\tcity_tier\tspend_90d\tspending_power\torder_count\ttop_category\ttop_brands\t"
    "lux_orders_180d\tconsent_marketing\thousehold_size\tcommute_mode";

TraitRow ToRow(const Profile& p) {
  TraitRow r;
  r.reserve(13);
  r.emplace_back("age", static_cast<double>(p.age));
  if (*p.gender) r.emplace_back("gender", std::string(p.gender));
  r.emplace_back("city", std::string(kCities[p.city]));
  r.emplace_back("city_tier", static_cast<double>(kCityTier[p.city]));
  r.emplace_back("spend_90d", p.spend);
  r.emplace_back("spending_power", static_cast<double>(SpendingPowerTier(p.spend)));
  r.emplace_back("order_count", static_cast<double>(p.orders));
  if (p.category >= 0) r.emplace_back("top_category", std::string(kCategories[p.category]));
  if (p.brand_count > 0) {
    std::vector<std::string> b;
    for (int i = 0; i < p.brand_count; ++i) b.emplace_back(kBrands[p.brands[i]]);
    r.emplace_back("top_brands", std::move(b));
  }
  r.emplace_back("lux_orders_180d", static_cast<double>(p.lux_orders));
  r.emplace_back("consent_marketing", static_cast<double>(p.consent));
  r.emplace_back("household_size", static_cast<double>(p.household));
  if (*kCommute[p.commute]) r.emplace_back("commute_mode", std::string(kCommute[p.commute]));
  return r;
}

int WriteTable(const std::string& path, uint64_t rows, uint64_t seed) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    std::perror(path.c_str());
    return 1;
  }
  ProfileGenerator gen(seed);
  std::fprintf(f, "%s\n", kHeader);
  for (uint64_t i = 0; i < rows; ++i) {
    Profile p = gen.Next();
    std::string brands;
    for (int b = 0; b < p.brand_count; ++b) {
      if (b > 0) brands += '|';
      brands += kBrands[p.brands[b]];
    }
    std::fprintf(f, "%llu\t%d\t%s\t%s\t%d\t%.2f\t%d\t%d\t%s\t%s\t%d\t%d\t%d\t%s\n",
                 static_cast<unsigned long long>(i + 1), p.age, p.gender, kCities[p.city], kCityTier[p.city],
                 p.spend, SpendingPowerTier(p.spend), p.orders, p.category >= 0 ? kCategories[p.category] : "",
                 brands.c_str(), p.lux_orders, p.consent, p.household, kCommute[p.commute]);
  }
  std::fclose(f);
  std::fprintf(stderr, "wrote %llu rows to %s\n", static_cast<unsigned long long>(rows), path.c_str());
  return 0;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

// Loads the TSV: numeric columns as numbers, top_brands as a set, the rest as
// strings; empty fields are missing.
bool LoadTsv(const std::string& path, TraitTable* table) {
  std::ifstream in(path);
  if (!in) {
    std::perror(path.c_str());
    return false;
  }
  std::string line;
  std::getline(in, line);
  std::vector<std::string> names;
  for (std::string_view n : Split(line, '\t')) names.emplace_back(n);
  std::vector<int> kind(names.size(), 0);  // 0 number, 1 string, 2 set
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    if (n == "gender" || n == "city" || n == "top_category" || n == "commute_mode") kind[i] = 1;
    if (n == "top_brands") kind[i] = 2;
  }
  TraitRow row;
  while (std::getline(in, line)) {
    std::vector<std::string_view> f = Split(line, '\t');
    if (f.size() != names.size()) continue;
    uint32_t id = 0;
    std::from_chars(f[0].data(), f[0].data() + f[0].size(), id);
    row.clear();
    for (size_t i = 1; i < f.size(); ++i) {
      if (f[i].empty()) continue;
      if (kind[i] == 0) {
        double v = 0;
        std::from_chars(f[i].data(), f[i].data() + f[i].size(), v);
        row.emplace_back(names[i], v);
      } else if (kind[i] == 1) {
        row.emplace_back(names[i], std::string(f[i]));
      } else {
        std::vector<std::string> set;
        for (std::string_view e : Split(f[i], '|')) set.emplace_back(e);
        row.emplace_back(names[i], std::move(set));
      }
    }
    table->Upsert(id, row);
  }
  return true;
}

int RunQueries(const std::string& table_path, const std::string& queries_path, int repeat) {
  TraitTable table;
  auto t0 = std::chrono::steady_clock::now();
  if (!LoadTsv(table_path, &table)) return 1;
  double load_s = Since(t0);
  t0 = std::chrono::steady_clock::now();
  table.Optimize();
  double optimize_s = Since(t0);
  std::printf("# load %.2f s (parse + Upsert), optimize %.2f s, %zu rows, table memory %.0f MiB, peak RSS %ld MiB\n",
              load_s, optimize_s, table.size(), table.MemoryUsage() / 1048576.0, PeakRssMiB());
  std::printf("query_index\tcardinality\tp50_ms\tp99_ms\tmin_ms\n");
  std::ifstream q(queries_path);
  std::string line;
  int index = 0;
  while (std::getline(q, line)) {
    if (line.empty() || line[0] == '#') continue;
    ++index;
    holo::Result<holo::segment::Expr> e = holo::segment::Parse(line);
    if (!e.ok()) {
      std::fprintf(stderr, "query %d: %s\n", index, e.status().ToString().c_str());
      return 1;
    }
    std::vector<double> ms;
    uint64_t card = 0;
    for (int r = 0; r < repeat; ++r) {
      auto s = std::chrono::steady_clock::now();
      Roaring result = Evaluate(*e, table);
      ms.push_back(Since(s) * 1000);
      card = result.cardinality();
    }
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * (ms.size() - 1) + 0.5))]; };
    std::printf("%d\t%llu\t%.3f\t%.3f\t%.3f\n", index, static_cast<unsigned long long>(card), pct(0.5), pct(0.99),
                ms[0]);
  }
  return 0;
}

// A random segment of 3-6 predicates mixing numbers, strings, sets, consent.
std::string RandomSegment(Rng& rng) {
  auto city = [&] { return std::string("\"") + kCities[rng.Int(20)] + "\""; };
  auto pred = [&](int kind) -> std::string {
    switch (kind) {
      case 0:
        return "city = " + city();
      case 1:
        return "city in (" + city() + ", " + city() + ")";
      case 2:
        return "top_brands contains \"" + std::string(kBrands[rng.Int(kBrandCount)]) + "\"";
      case 3:
        return "top_category = \"" + std::string(kCategories[rng.Int(10)]) + "\"";
      case 4: {
        int a = 18 + rng.Int(50);
        return "age between " + std::to_string(a) + " and " + std::to_string(a + 3 + rng.Int(12));
      }
      case 5: {
        static const int kSpend[] = {100, 300, 500, 1000, 2000, 5000, 10000, 20000};
        return "spend_90d " + std::string(rng.Int(4) ? ">" : "<=") + " " + std::to_string(kSpend[rng.Int(8)]);
      }
      case 6:
        return "order_count >= " + std::to_string(1 + rng.Int(30));
      case 7:
        return "lux_orders_180d >= " + std::to_string(1 + rng.Int(4));
      case 8:
        return "household_size " + std::string(rng.Int(2) ? ">=" : "<=") + " " + std::to_string(1 + rng.Int(6));
      case 9:
        return "consent(\"marketing\")";
      case 10:
        return "gender = \"" + std::string(rng.Int(2) ? "F" : "M") + "\"";
      case 11:
        return std::string(rng.Int(2) ? "not " : "") + "commute_mode = \"" + kCommute[rng.Int(5)] + "\"";
      case 12:
        return "city_tier <= " + std::to_string(1 + rng.Int(3));
      default:
        return "spending_power >= " + std::to_string(2 + rng.Int(4));
    }
  };
  int n = 3 + rng.Int(4);
  std::string out;
  // At least one narrow predicate (a city, a brand, a category or an age band),
  // so that memberships are audience-sized rather than population-sized.
  out = pred(rng.Int(5));
  for (int i = 1; i < n; ++i) {
    out += " and ";
    if (rng.Int(8) == 0) {
      out += "(" + pred(rng.Int(14)) + " or " + pred(rng.Int(14)) + ")";
    } else {
      out += pred(rng.Int(14));
    }
  }
  return out;
}

int RunRefresh(uint64_t rows, int segments, int changes, uint64_t seed, int threads, int verify, int batches) {
  TraitTable table;
  ProfileGenerator gen(seed);
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < rows; ++i) table.Upsert(static_cast<uint32_t>(i + 1), ToRow(gen.Next()));
  double load_s = Since(t0);
  t0 = std::chrono::steady_clock::now();
  table.Optimize();
  std::printf("table: %llu rows, load %.2f s, optimize %.2f s, memory %.0f MiB\n",
              static_cast<unsigned long long>(rows), load_s, Since(t0), table.MemoryUsage() / 1048576.0);

  SegmentSet set(&table, threads);
  Rng rng(seed * 7 + 1);
  t0 = std::chrono::steady_clock::now();
  uint64_t members = 0, bytes = 0;
  for (int s = 0; s < segments; ++s) {
    holo::Result<holo::segment::SegmentInfo> info = set.Define("s" + std::to_string(s), RandomSegment(rng), 0);
    if (!info.ok()) {
      std::fprintf(stderr, "%s\n", info.status().ToString().c_str());
      return 1;
    }
    members += info->size;
    bytes += set.Members(info->name)->getSizeInBytes(false);
  }
  std::printf("define: %d segments in %.2f s, mean members %.0f, member bitmaps %.0f MiB, peak RSS %ld MiB\n",
              segments, Since(t0), static_cast<double>(members) / segments, bytes / 1048576.0, PeakRssMiB());

  // `batches` times: change `changes` random rows (fresh profiles: every trait
  // may change), Refresh, verify. Refresh leaves each segment's changes
  // pending beside its bitmap until they reach 1/8 of it or a reader asks;
  // the time to fold all that are left is printed at the end.
  int bad = 0;
  for (int batch = 0; batch < batches; ++batch) {
    Roaring changed;
    ProfileGenerator fresh(seed + 99 + static_cast<uint64_t>(batch));
    t0 = std::chrono::steady_clock::now();
    while (changed.cardinality() < static_cast<uint64_t>(changes)) {
      uint32_t row = static_cast<uint32_t>(1 + rng.Next() % rows);
      if (changed.contains(row)) continue;
      table.Upsert(row, ToRow(fresh.Next()));
      changed.add(row);
    }
    double upsert_s = Since(t0);
    std::vector<std::string> names;
    for (const auto& info : set.List()) names.push_back(info.name);
    std::vector<Roaring> before;
    for (int v = 0; v < verify; ++v) before.push_back(*set.Members(names[(v * 7919) % names.size()]));

    t0 = std::chrono::steady_clock::now();
    holo::segment::SegmentDelta delta = set.Refresh(changed);
    double refresh_s = Since(t0);
    uint64_t entered = 0, left = 0;
    for (const auto& c : delta.changes) {
      entered += c.entered.cardinality();
      left += c.left.cardinality();
    }
    std::printf(
        "refresh %d: %d changed rows (upserts %.3f s), %zu segments: %.3f s with %d threads; evaluated %zu "
        "(diffed on old values %zu), skipped %zu, full %zu, predicates %zu, changed segments %zu (+%llu -%llu)\n",
        batch + 1, changes, upsert_s, names.size(), refresh_s, threads, delta.evaluated, delta.diffed,
        delta.skipped, delta.full, delta.predicates, delta.changes.size(), static_cast<unsigned long long>(entered),
        static_cast<unsigned long long>(left));

    for (int v = 0; v < verify; ++v) {
      const std::string& name = names[(v * 7919) % names.size()];
      holo::Result<holo::segment::Expr> e = holo::segment::Parse(set.Get(name)->definition);
      Roaring full = Evaluate(*e, table);
      if (!(full == *set.Members(name))) {
        ++bad;
        std::fprintf(stderr, "MISMATCH %s: %s\n", name.c_str(), set.Get(name)->definition.c_str());
      }
    }
    std::printf("verify: %d segments vs full re-evaluation: %s\n", verify, bad == 0 ? "all equal" : "MISMATCH");
  }
  t0 = std::chrono::steady_clock::now();
  uint64_t read_rows = 0;
  for (const auto& info : set.List()) read_rows += set.Members(info.name)->cardinality();
  std::printf("read back: members of all %zu segments (%llu rows) in %.3f s, folding the pending changes\n",
              set.size(), static_cast<unsigned long long>(read_rows), Since(t0));
  return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string write_table, table, queries;
  uint64_t rows = 0, seed = 42;
  int repeat = 20, segments = 0, changes = 10000, threads = 2, verify = 200, batches = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--write-table") {
      write_table = next();
    } else if (a == "--table") {
      table = next();
    } else if (a == "--queries") {
      queries = next();
    } else if (a == "--rows") {
      rows = std::stoull(next());
    } else if (a == "--seed") {
      seed = std::stoull(next());
    } else if (a == "--repeat") {
      repeat = std::stoi(next());
    } else if (a == "--segments") {
      segments = std::stoi(next());
    } else if (a == "--changes") {
      changes = std::stoi(next());
    } else if (a == "--threads") {
      threads = std::stoi(next());
    } else if (a == "--verify") {
      verify = std::stoi(next());
    } else if (a == "--batches") {
      batches = std::stoi(next());
    } else {
      std::fprintf(stderr,
                   "usage: segment_bench --write-table FILE.tsv --rows N [--seed S]\n"
                   "       segment_bench --table FILE.tsv --queries Q.txt [--repeat R]\n"
                   "       segment_bench --rows N --segments S --changes C [--seed S] [--threads T] [--verify K]\n"
                   "           [--batches B]\n");
      return 2;
    }
  }
  if (!write_table.empty()) return WriteTable(write_table, rows, seed);
  if (!table.empty()) return RunQueries(table, queries, std::max(1, repeat));
  if (rows > 0 && segments > 0) return RunRefresh(rows, segments, changes, seed, threads, verify, std::max(1, batches));
  std::fprintf(stderr, "nothing to do; see --help\n");
  return 2;
}
