// traits_check: scores the derived traits against a generated world's ground truth.
//
//   traits_check WORLD_DIR
//
// Reads every SOURCE.jsonl of the world, attributes each message to its true person through
// truth.csv (userId, else anonymousId, else context.device.id; shared tablets and kiosks are
// skipped), builds one ProfileAccumulator per person, and compares the profile with
// persons.csv: home_area / work_area within 1 km of the true home / work, home_city, spending
// power against income_tier, top_category against the true top categories. Identity resolution
// is bypassed on purpose: this measures the traits, not the resolver. Prints one JSON object.
#include <simdjson.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/json_writer.h"
#include "common/time_util.h"
#include "profile/profile_builder.h"

namespace {

using holo::profile::ProfileAccumulator;

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}


struct Person {
  std::string city;
  double home_lat = 0, home_lon = 0, work_lat = NAN, work_lon = NAN;
  int income_tier = 0;
  std::vector<std::string> top_categories;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: traits_check WORLD_DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::unordered_map<std::string, std::string> owner;  // "kind:value" -> person
  {
    std::ifstream in(dir / "truth.csv");
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      auto f = SplitCsv(line);
      if (f.size() < 4 || f[3].empty() || f[3][0] != 'p') continue;
      std::string kind = f[1].starts_with("user_id@")        ? "u"
                         : f[1].starts_with("anonymous_id@") ? "a"
                         : f[1] == "device_id"               ? "d"
                                                             : "";
      if (!kind.empty()) owner.emplace(kind + ":" + f[2], f[3]);
    }
  }
  std::map<std::string, Person> persons;
  {
    std::ifstream in(dir / "persons.csv");
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      auto f = SplitCsv(line);
      if (f.size() < 14) continue;
      Person p;
      p.city = f[4];
      p.home_lat = std::stod(f[6]);
      p.home_lon = std::stod(f[7]);
      if (!f[8].empty()) {
        p.work_lat = std::stod(f[8]);
        p.work_lon = std::stod(f[9]);
      }
      p.income_tier = std::stoi(f[10]);
      std::stringstream cats(f[12]);
      for (std::string c; std::getline(cats, c, '|');) p.top_categories.push_back(c);
      persons.emplace(f[0], std::move(p));
    }
  }

  // Load and attribute every message first, so that the timed part is Add only.
  std::vector<std::pair<const std::string*, holo::storage::EventRecord>> events;
  int64_t as_of = 0;
  simdjson::dom::parser parser;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".jsonl") continue;
    const std::string source = entry.path().stem().string();
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      simdjson::dom::element m;
      if (parser.parse(line).get(m) != simdjson::SUCCESS) continue;
      auto str = [](simdjson::simdjson_result<simdjson::dom::element> r) {
        std::string_view v;
        return r.get_string().get(v) == simdjson::SUCCESS ? v : std::string_view();
      };
      const std::string_view type = str(m["type"]), uid = str(m["userId"]),
                             aid = str(m["anonymousId"]), did = str(m["context"]["device"]["id"]),
                             ts = str(m["timestamp"]), event = str(m["event"]);
      const std::string* person = nullptr;
      for (auto [kind, v] : {std::pair{"u:", uid}, {"a:", aid}, {"d:", did}}) {
        if (v.empty()) continue;
        auto it = owner.find(std::string(kind) + std::string(v));
        if (it != owner.end()) {
          person = &it->second;
          break;
        }
      }
      if (person == nullptr) continue;
      holo::storage::EventRecord ev;
      ev.msg_type = type == "identify" ? 1 : type == "track" ? 2 : type == "page" ? 3 : 5;
      auto t = holo::ParseIso8601Ms(ts);
      if (!t.ok()) continue;
      ev.timestamp_ms = *t;
      as_of = std::max(as_of, ev.timestamp_ms);
      ev.source = source;
      ev.event = std::string(event);
      simdjson::dom::element props;
      if (m[type == "identify" ? "traits" : "properties"].get(props) == simdjson::SUCCESS) {
        ev.properties_json = simdjson::minify(props);
      } else {
        ev.properties_json = "{}";
      }
      events.emplace_back(person, std::move(ev));
    }
  }

  std::unordered_map<std::string, ProfileAccumulator> acc;
  for (const auto& [person, ev] : events) acc[*person];  // allocate outside the timed loop
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [person, ev] : events) acc.find(*person)->second.Add(ev, as_of);
  const double add_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  int profiles = 0, home_n = 0, home_ok = 0, workers = 0, work_n = 0, work_ok = 0;
  int city_n = 0, city_ok = 0, sp_n = 0, sp_exact = 0, sp_within1 = 0, cat_n = 0, cat_top1 = 0,
      cat_top3 = 0;
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, completeness = 0;
  std::map<int, std::map<int, int>> confusion;  // income_tier -> spending_power -> n
  const auto json_start = std::chrono::steady_clock::now();
  for (const auto& [id, p] : persons) {
    auto a = acc.find(id);
    if (a == acc.end()) continue;
    ++profiles;
    const std::string json = a->second.ToJson(0, {}, as_of);
    simdjson::dom::element root, traits;
    if (parser.parse(json).get(root) != simdjson::SUCCESS) return 1;
    traits = root["traits"].value();
    completeness += root["completeness"].get_double().value();
    std::string_view s;
    auto cell = [&](std::string_view text, double* lat, double* lon) {
      return std::sscanf(std::string(text).c_str(), "%lf,%lf", lat, lon) == 2;
    };
    double lat, lon;
    if (traits["home_area"].get_string().get(s) == simdjson::SUCCESS && cell(s, &lat, &lon)) {
      ++home_n;
      home_ok += holo::profile::DistanceKm(lat, lon, p.home_lat, p.home_lon) <= 1.0;
    }
    if (!std::isnan(p.work_lat)) ++workers;
    if (traits["work_area"].get_string().get(s) == simdjson::SUCCESS && cell(s, &lat, &lon)) {
      ++work_n;
      work_ok += !std::isnan(p.work_lat) && holo::profile::DistanceKm(lat, lon, p.work_lat, p.work_lon) <= 1.0;
    }
    if (traits["home_city"].get_string().get(s) == simdjson::SUCCESS) {
      ++city_n;
      city_ok += s == p.city;
    }
    int64_t sp;
    if (traits["spending_power"].get_int64().get(sp) == simdjson::SUCCESS) {
      ++sp_n;
      sp_exact += sp == p.income_tier;
      sp_within1 += std::abs(sp - p.income_tier) <= 1;
      const double x = static_cast<double>(sp), y = p.income_tier;
      sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y;
      ++confusion[p.income_tier][static_cast<int>(sp)];
    }
    if (traits["top_category"].get_string().get(s) == simdjson::SUCCESS &&
        !p.top_categories.empty()) {
      ++cat_n;
      cat_top1 += s == p.top_categories[0];
      for (const auto& c : p.top_categories) cat_top3 += s == c;
    }
  }
  const double json_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - json_start).count();
  const double n = sp_n;
  const double r = (n * sxy - sx * sy) / std::sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));

  std::string out;
  holo::JsonWriter w(&out);
  auto share = [](int a, int b) { return b == 0 ? 0.0 : std::round(1000.0 * a / b) / 1000; };
  w.BeginObject();
  w.Key("persons").Int(static_cast<int64_t>(persons.size()));
  w.Key("profiles").Int(profiles);
  w.Key("events").Uint(events.size());
  w.Key("add_events_per_s").Double(std::round(events.size() / add_s));
  w.Key("to_json_per_s").Double(std::round(profiles / json_s));
  w.Key("mean_completeness").Double(std::round(1000 * completeness / profiles) / 1000);
  w.Key("home_area_coverage").Double(share(home_n, profiles));
  w.Key("home_area_within_1km").Double(share(home_ok, home_n));
  w.Key("work_area_coverage_of_workers").Double(share(work_n, workers));
  w.Key("work_area_within_1km").Double(share(work_ok, work_n));
  w.Key("home_city_coverage").Double(share(city_n, profiles));
  w.Key("home_city_correct").Double(share(city_ok, city_n));
  w.Key("spending_power_coverage").Double(share(sp_n, profiles));
  w.Key("spending_power_pearson_r").Double(std::round(r * 1000) / 1000);
  w.Key("spending_power_exact").Double(share(sp_exact, sp_n));
  w.Key("spending_power_within_1").Double(share(sp_within1, sp_n));
  w.Key("top_category_is_true_top1").Double(share(cat_top1, cat_n));
  w.Key("top_category_in_true_top3").Double(share(cat_top3, cat_n));
  w.Key("income_tier_x_spending_power").BeginObject();
  for (const auto& [tier, row] : confusion) {
    w.Key(std::to_string(tier)).BeginArray();
    for (int sp = 1; sp <= 5; ++sp) w.Int(row.count(sp) ? row.at(sp) : 0);
    w.EndArray();
  }
  w.EndObject();
  w.EndObject();
  std::cout << out << "\n";
  return 0;
}
