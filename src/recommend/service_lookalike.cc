// Look-alike audiences over the store's profiles (holo/recommend.h, docs/recommend.md): every
// profile's traits become sparse features, the seed's members are told apart from everyone
// else (lookalike.h), and the best non-members are reported and, with a name, saved.
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "common/json_writer.h"
#include "recommend/events.h"
#include "recommend/lookalike.h"
#include "recommend/service.h"

namespace holo::recommend {

namespace {

// Traits that say nothing about taste, or that would make the answer circular: the consent
// decisions, the look-alike lists themselves, and times (one value per person).
bool Ignored(std::string_view trait) {
  return trait.starts_with("consent_") || trait == "lookalikes" || trait.starts_with("last_") ||
         trait.starts_with("first_") || trait.ends_with("_area");
}

// Features from profiles: a numeric trait is one feature, its value as the share of people
// with a lower value (ties halfway: comparable across traits, robust to outliers); a string
// is one feature per value ("city=Hangzhou"), a list one per element, true one feature, and
// each source the person was seen in one more ("source=taobao"). A value fewer than
// `min_count` people share (an address, a time) is dropped: it cannot generalise.
class FeatureBuilder {
 public:
  explicit FeatureBuilder(std::unordered_set<std::string> excluded) : excluded_(std::move(excluded)) {}

  Status Add(uint64_t oneid, std::string_view profile_json) {
    simdjson::dom::element root;
    if (parser_.parse(profile_json.data(), profile_json.size()).get(root) != simdjson::SUCCESS) {
      return Status::DataLoss(fmt::format("lookalike: the profile of OneID {} is not valid JSON", oneid));
    }
    std::vector<Raw> raw;
    simdjson::dom::object traits;
    if (root["traits"].get_object().get(traits) == simdjson::SUCCESS) {
      for (auto [key, value] : traits) {
        if (Ignored(key) || excluded_.count(std::string(key)) > 0) continue;
        double d = 0;
        bool b = false;
        std::string_view s;
        simdjson::dom::array list;
        if (value.get_double().get(d) == simdjson::SUCCESS) {
          if (std::isfinite(d)) raw.push_back({Key(std::string(key), true), static_cast<float>(d)});
        } else if (value.get_bool().get(b) == simdjson::SUCCESS) {
          if (b) raw.push_back({Key(std::string(key), false), 1});
        } else if (value.get_string().get(s) == simdjson::SUCCESS) {
          raw.push_back({Key(std::string(key) + "=" + std::string(s), false), 1});
        } else if (value.get_array().get(list) == simdjson::SUCCESS) {
          for (simdjson::dom::element e : list) {
            if (e.get_string().get(s) == simdjson::SUCCESS) raw.push_back({Key(std::string(key) + "=" + std::string(s), false), 1});
          }
        }
      }
    }
    simdjson::dom::array sources;
    if (excluded_.count("sources") == 0 && root["sources"].get_array().get(sources) == simdjson::SUCCESS) {
      for (simdjson::dom::element e : sources) {
        std::string_view s;
        if (e.get_string().get(s) == simdjson::SUCCESS) raw.push_back({Key("source=" + std::string(s), false), 1});
      }
    }
    if (auto b = behaviour_.find(oneid); b != behaviour_.end() && excluded_.count("interest") == 0) {
      for (const auto& [category, share] : b->second) raw.push_back({Key("interest=" + category, true), share});
    }
    // One value per feature (a list naming a value twice counts once).
    std::sort(raw.begin(), raw.end(), [](const Raw& a, const Raw& b) { return a.key < b.key; });
    raw.erase(std::unique(raw.begin(), raw.end(), [](const Raw& a, const Raw& b) { return a.key == b.key; }), raw.end());
    for (const Raw& r : raw) ++count_[r.key];
    oneids_.push_back(oneid);
    raws_.push_back(std::move(raw));
    return Status::OK();
  }

  // The rows, one per profile added (in that order).
  FeatureRows Build(uint64_t min_count) {
    // Numeric features: each value's share of lower values among the people who have one.
    std::vector<std::vector<float>> values(names_.size());
    for (const auto& row : raws_) {
      for (const Raw& r : row) {
        if (numeric_[r.key]) values[r.key].push_back(r.value);
      }
    }
    for (auto& v : values) std::sort(v.begin(), v.end());
    std::vector<int64_t> index(names_.size(), -1);
    FeatureRows x;
    for (uint32_t k = 0; k < names_.size(); ++k) {
      if (count_[k] < min_count) continue;
      index[k] = static_cast<int64_t>(x.feature_names.size());
      x.feature_names.push_back(names_[k]);
    }
    x.rows.reserve(raws_.size());
    for (const auto& row : raws_) {
      std::vector<std::pair<uint32_t, float>> out;
      for (const Raw& r : row) {
        if (index[r.key] < 0) continue;
        float v = r.value;
        if (numeric_[r.key]) {
          const auto& sorted = values[r.key];
          const auto lo = std::lower_bound(sorted.begin(), sorted.end(), r.value) - sorted.begin();
          const auto hi = std::upper_bound(sorted.begin(), sorted.end(), r.value) - sorted.begin();
          v = static_cast<float>((static_cast<double>(lo + hi) / 2) / static_cast<double>(sorted.size()));
          if (v <= 0) continue;
        }
        out.emplace_back(static_cast<uint32_t>(index[r.key]), v);
      }
      x.rows.push_back(std::move(out));
    }
    return x;
  }

  // Behaviour: the share of a person's interactions of each category ("interest=baby"),
  // from their events; added to the profile's row when the profile is added.
  void SetBehaviour(std::unordered_map<uint64_t, std::unordered_map<std::string, float>> shares) {
    behaviour_ = std::move(shares);
  }

  const std::vector<uint64_t>& oneids() const { return oneids_; }

 private:
  struct Raw {
    uint32_t key;
    float value;
  };
  uint32_t Key(std::string name, bool numeric) {
    auto [it, fresh] = keys_.emplace(std::move(name), static_cast<uint32_t>(names_.size()));
    if (fresh) {
      names_.push_back(it->first);
      numeric_.push_back(numeric);
      count_.push_back(0);
    }
    return it->second;
  }

  std::unordered_set<std::string> excluded_;
  std::unordered_map<uint64_t, std::unordered_map<std::string, float>> behaviour_;
  simdjson::dom::parser parser_;
  std::unordered_map<std::string, uint32_t> keys_;
  std::vector<std::string> names_;
  std::vector<char> numeric_;
  std::vector<uint64_t> count_;
  std::vector<uint64_t> oneids_;
  std::vector<std::vector<Raw>> raws_;
};

double Round4(double v) { return std::round(v * 10000) / 10000; }

}  // namespace

Result<std::string> Service::Lookalike(const LookalikeRequest& request) {
  if (request.seed.empty() && request.seed_oneids.empty()) {
    return Status::InvalidArgument("lookalike: name a seed segment or expression, or give the seed's people");
  }
  if (request.size == 0) return Status::InvalidArgument("lookalike: the size must be at least 1");
  std::vector<uint32_t> seed;
  if (!request.seed.empty()) {
    HOLO_ASSIGN_OR_RETURN(seed, hooks_.members(request.seed));
  } else {
    for (uint64_t id : request.seed_oneids) seed.push_back(static_cast<uint32_t>(id));
    std::sort(seed.begin(), seed.end());
    seed.erase(std::unique(seed.begin(), seed.end()), seed.end());
  }
  std::unordered_set<std::string> excluded(request.exclude_traits.begin(), request.exclude_traits.end());
  FeatureBuilder builder(excluded);
  {
    // What each person's events touched, by category: counts, then shares.
    std::unordered_map<uint64_t, std::unordered_map<std::string, float>> shares;
    std::vector<ItemTouch> touches;
    HOLO_RETURN_IF_ERROR(hooks_.scan_events([&](uint64_t oneid, int64_t, std::string_view source, std::string_view event,
                                                std::string_view props) {
      touches.clear();
      ItemsOfEvent(source, event, props, &touches);
      for (const ItemTouch& t : touches) {
        if (!t.category.empty()) shares[oneid][t.category] += 1;
      }
    }));
    for (auto& [oneid, counts] : shares) {
      float total = 0;
      for (const auto& [c, n] : counts) total += n;
      for (auto& [c, n] : counts) n /= total;
    }
    builder.SetBehaviour(std::move(shares));
  }
  Status added = Status::OK();
  HOLO_RETURN_IF_ERROR(hooks_.scan_profiles([&](uint64_t oneid, std::string_view json) {
    if (added.ok()) added = builder.Add(oneid, json);
  }));
  HOLO_RETURN_IF_ERROR(added);
  const auto& oneids = builder.oneids();
  const uint64_t min_count = std::max<uint64_t>(5, oneids.size() / 1000);
  const FeatureRows x = builder.Build(min_count);
  std::vector<uint8_t> is_seed(oneids.size(), 0);
  uint64_t in_seed = 0;
  for (size_t i = 0; i < oneids.size(); ++i) {
    if (std::binary_search(seed.begin(), seed.end(), static_cast<uint32_t>(oneids[i]))) is_seed[i] = 1, ++in_seed;
  }
  const uint64_t outside = oneids.size() - in_seed;
  if (request.size > outside) {
    return Status::InvalidArgument(fmt::format("lookalike: {} people asked for, but only {} are outside the seed", request.size, outside));
  }
  LookalikeOptions options;
  auto result = recommend::Lookalike(x, is_seed, options, {request.size});
  if (!result.ok()) return result.status().WithContext("lookalike");
  if (request.on_score) {
    for (size_t i = 0; i < oneids.size(); ++i) request.on_score(oneids[i], result->score[i], is_seed[i] != 0);
  }
  const std::vector<uint32_t> best = BestNonMembers(*result, is_seed, request.size);
  std::vector<uint32_t> members;
  members.reserve(best.size());
  for (uint32_t row : best) members.push_back(static_cast<uint32_t>(oneids[row]));
  std::sort(members.begin(), members.end());
  if (!request.name.empty()) HOLO_RETURN_IF_ERROR(hooks_.save_segment(request.name, members));

  double precision = 0, recall = 0;
  for (const auto& [n, p] : result->precision_curve) {
    if (n == request.size) precision = p;
  }
  for (const auto& [n, r] : result->recall_curve) {
    if (n == request.size) recall = r;
  }
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("seed").String(request.seed.empty() ? fmt::format("{} people listed", seed.size()) : request.seed);
  w.Key("seed_members").Uint(in_seed);
  // Members without a profile (erased since) cannot be described.
  w.Key("seed_without_profile").Uint(seed.size() - in_seed);
  w.Key("population").Uint(oneids.size()).Key("size").Uint(members.size());
  w.Key("name");
  if (request.name.empty()) {
    w.Null();
  } else {
    w.String(request.name);
  }
  w.Key("features").Uint(x.feature_names.size());
  w.Key("holdout_auc").Double(Round4(result->holdout_auc)).Key("seed_separable").Bool(result->seed_separable);
  // What a random audience of that size would hold: the look-alikes estimated outside the
  // seed over everyone outside it.
  w.Key("base_rate").Double(Round4(std::min(1.0, result->positives_outside / static_cast<double>(outside))));
  w.Key("expected_precision").Double(Round4(precision));
  // Its 95% range, from how sure the share of people like the seed outside it is.
  std::pair<double, double> range = {precision, precision};
  for (size_t i = 0; i < result->precision_range.size() && i < result->precision_curve.size(); ++i) {
    if (result->precision_curve[i].first == request.size) range = result->precision_range[i];
  }
  w.Key("expected_precision_range").BeginArray().Double(Round4(range.first)).Double(Round4(range.second)).EndArray();
  w.Key("recall_of_held_out_members").Double(Round4(recall));
  // What the estimate rests on (docs/recommend.md): it runs high when the seed's members are
  // easier to recognise than the others like them (a list of the most active customers).
  w.Key("estimate_assumes").String("the seed is a random sample of the people like it");
  w.Key("curve").BeginArray();
  for (size_t i = 0; i < result->precision_curve.size(); ++i) {
    w.BeginObject().Key("size").Uint(result->precision_curve[i].first);
    w.Key("expected_precision").Double(Round4(result->precision_curve[i].second));
    if (i < result->precision_range.size()) {
      w.Key("low").Double(Round4(result->precision_range[i].first)).Key("high").Double(Round4(result->precision_range[i].second));
    }
    if (i < result->recall_curve.size()) w.Key("recall").Double(Round4(result->recall_curve[i].second));
    w.EndObject();
  }
  w.EndArray();
  w.Key("top_features").BeginArray();
  for (const auto& [name, weight] : result->top_features) w.BeginObject().Key("feature").String(name).Key("weight").Double(Round4(weight)).EndObject();
  w.EndArray();
  if (!result->seed_separable) {
    w.Key("warning").String("the profiles do not tell the seed's members apart from everyone else: the audience is no likelier to be like them than anyone");
  } else if (range.second > 1.5 * range.first + 0.05) {
    // Not silent: a point estimate that could be several times too high.
    w.Key("warning").String(fmt::format(
        "the seed does not say how many people outside it are like it (the people most like it are not all like it): "
        "the expected precision could be anywhere from {:.2f} to {:.2f}",
        range.first, range.second));
  }
  w.EndObject();
  return out;
}

}  // namespace holo::recommend
