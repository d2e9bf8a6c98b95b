// cross_domain_eval INTERACTIONS FOLLOW_UPS [--algo A] [--cut 0.7]: the cross-domain hit rate
// on a generated world (bench/RESULTS.md, issue 19). INTERACTIONS is `holo recommend
// interactions --data DB` of the world's store, FOLLOW_UPS the world's follow_ups.csv (what
// each trip abroad truly led to).
//
// The models learn from the interactions before the cut (the first 70% of the time span);
// each trip abroad booked after it is a question: with the traveller's history up to the
// booking, are the items the trip truly led to among the 10 best? Counted over all items
// and within the follow-up's own domain (what `?domain=taobao` serves), for popularity, the
// base model, the cross-domain step alone and the two blended with the weight training
// chooses (on a hold-out of the training part, as `holo recommend train` does).
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "common/time_util.h"
#include "recommend/cross_domain.h"
#include "recommend/evaluate.h"
#include "recommend/events.h"
#include "recommend/interactions.h"
#include "recommend/models.h"

using namespace holo::recommend;

namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "cross_domain_eval: %s\n", why.c_str());
  std::exit(1);
}

struct Trigger {
  uint32_t user = 0;
  int64_t ts = 0;
  std::set<uint32_t> targets;
};

// Rank of `target` among the items of `scores` not in `own` and (when domain_of is given)
// of the target's domain; 1-based, ties by item index.
size_t Rank(const std::vector<float>& scores, const std::vector<char>& own, uint32_t target,
            const std::vector<uint32_t>* domain_of) {
  size_t rank = 1;
  const float t = scores[target];
  for (uint32_t j = 0; j < scores.size(); ++j) {
    if (j == target || own[j] || (domain_of != nullptr && (*domain_of)[j] != (*domain_of)[target])) continue;
    if (scores[j] > t || (scores[j] == t && j < target)) ++rank;
  }
  return rank;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) Die("usage: cross_domain_eval INTERACTIONS FOLLOW_UPS [--algo A] [--cut 0.7]");
  std::string algo = "sequential";
  double cut_share = 0.7;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--algo") algo = argv[i + 1];
    else if (flag == "--cut") cut_share = std::stod(argv[i + 1]);
    else Die("unknown flag " + flag);
  }
  InteractionLog log;
  auto read = ReadInteractionFile(argv[1], &log, nullptr);
  if (!read.ok()) Die(read.status().ToString());
  const Dataset all = Dataset::From(log);
  std::vector<int64_t> times;
  for (const auto& events : all.by_user) {
    for (const auto& e : events) times.push_back(e.ts);
  }
  std::sort(times.begin(), times.end());
  const int64_t cut = times[static_cast<size_t>(cut_share * static_cast<double>(times.size() - 1))];
  const Dataset train = all.Truncated([&](uint32_t u) {
    const auto& ev = all.by_user[u];
    return static_cast<size_t>(std::lower_bound(ev.begin(), ev.end(), cut, [](const Dataset::Event& e, int64_t t) { return e.ts < t; }) - ev.begin());
  });

  // The questions: trips abroad after the cut, found by their booking (item and second).
  std::map<std::pair<uint32_t, int64_t>, uint32_t> booked;  // (item, ts) -> user
  for (uint32_t u = 0; u < all.num_users(); ++u) {
    for (const auto& e : all.by_user[u]) {
      if (all.items[e.item].starts_with("fliggy:flight:")) booked[{e.item, e.ts}] = u;
    }
  }
  std::ifstream in(argv[2]);
  if (!in) Die(std::string("cannot read ") + argv[2]);
  std::string line;
  std::getline(in, line);  // header
  std::map<std::pair<uint32_t, int64_t>, Trigger> triggers;
  uint64_t rows = 0, unmatched = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
    if (f.size() != 6) Die("bad follow_ups line: " + line);
    ++rows;
    auto parsed = holo::ParseIso8601Ms(f[1]);
    if (!parsed.ok()) Die("bad time " + f[1]);
    const int64_t ms = *parsed;
    auto item = all.item_index.find(f[2]);
    auto target = all.item_index.find(f[4]);
    if (item == all.item_index.end() || target == all.item_index.end()) {
      ++unmatched;
      continue;
    }
    auto who = booked.find({item->second, ms / 1000});
    if (who == booked.end()) {
      ++unmatched;
      continue;
    }
    if (ms / 1000 < cut) continue;
    Trigger& t = triggers[{who->second, ms / 1000}];
    t.user = who->second;
    t.ts = ms / 1000;
    t.targets.insert(target->second);
  }

  Options o;
  o.algo = algo;
  auto base = MakeRecommender(o);
  if (!base.ok()) Die(base.status().ToString());
  Options po;
  po.algo = "popularity";
  auto pop = MakeRecommender(po).value();
  // The blend's weight, chosen as training chooses it: on a hold-out of the training part.
  const Split split = LeaveLastOut(train);
  if (auto s = (*base)->Fit(split.train); !s.ok()) Die(s.ToString());
  CrossDomain split_cross;
  split_cross.Fit(split.train);
  CrossChoice choice;
  const double weight = ChooseCrossWeight(**base, split_cross, split, train, &choice);
  if (auto s = (*base)->Fit(train); !s.ok()) Die(s.ToString());
  if (auto s = pop->Fit(train); !s.ok()) Die(s.ToString());
  CrossDomain cross;
  cross.Fit(train);

  std::vector<uint32_t> domain_of(all.num_items());
  std::map<std::string, uint32_t> domains;
  for (uint32_t j = 0; j < all.num_items(); ++j) {
    domain_of[j] = domains.emplace(std::string(DomainOf(all.items[j])), static_cast<uint32_t>(domains.size())).first->second;
  }
  const char* names[] = {"popularity", nullptr, "cross-domain step alone", nullptr};
  const std::string base_name = algo, blend_name = fmt::format("{} + cross-domain (weight {:g})", algo, weight);
  names[1] = base_name.c_str();
  names[3] = blend_name.c_str();
  double any_hits[4] = {0}, domain_hits[4] = {0};
  uint64_t targets = 0;
  const size_t n = all.num_items();
  std::vector<float> b(n), c(n), p(n), blend(n);
  std::vector<char> own(n);
  std::vector<Dataset::Event> history;
  // The traveller's history up to and including the booking, what they have in `own`, and
  // the base model's and the step's scores of it in b and c.
  auto at_booking = [&](const Trigger& t) {
    history.clear();
    for (const auto& e : all.by_user[t.user]) {
      if (e.ts <= t.ts) history.push_back(e);
    }
    std::fill(own.begin(), own.end(), 0);
    for (const auto& e : history) own[e.item] = 1;
    (*base)->Score(history, b);
    cross.Score(history, c);
  };
  for (const auto& [key, t] : triggers) {
    at_booking(t);
    pop->Score(history, p);
    const std::vector<float>* scored[4] = {&p, &b, &c, &blend};
    BlendCross(b, c, weight, blend);
    for (int m = 0; m < 4; ++m) {
      bool any = false;
      for (uint32_t target : t.targets) {
        if (own[target]) continue;
        if (Rank(*scored[m], own, target, nullptr) <= 10) any = true;
        if (Rank(*scored[m], own, target, &domain_of) <= 10) domain_hits[m] += 1;
      }
      if (any) any_hits[m] += 1;
    }
    for (uint32_t target : t.targets) targets += own[target] ? 0 : 1;
  }
  std::printf("%zu users, %zu items, %zu interactions; trained on the %.0f%% before %s\n", all.num_users(), all.num_items(),
              log.size(), cut_share * 100, holo::FormatIso8601Ms(cut * 1000).c_str());
  std::printf("%llu follow-up rows (%llu not found in the interactions); %zu trips abroad after the cut, %llu follow-ups to find\n",
              static_cast<unsigned long long>(rows), static_cast<unsigned long long>(unmatched), triggers.size(),
              static_cast<unsigned long long>(targets));
  std::printf("training hold-out, cross-domain targets NDCG@10: %.4f with the step, %.4f without; all targets %.4f vs %.4f\n\n",
              choice.across.ndcg, choice.across_without.ndcg, choice.overall.ndcg, choice.overall_without.ndcg);
  // The blend at each weight of the grid, for the trade-off.
  for (double wgt : {0.1, 0.25, 0.5, 1.0, 2.0}) {
    double hits = 0;
    for (const auto& [key, t] : triggers) {
      at_booking(t);
      BlendCross(b, c, wgt, blend);
      for (uint32_t target : t.targets) {
        if (!own[target] && Rank(blend, own, target, nullptr) <= 10) {
          hits += 1;
          break;
        }
      }
    }
    std::printf("blend at weight %-5g trip HR@10 %.4f\n", wgt, triggers.empty() ? 0.0 : hits / static_cast<double>(triggers.size()));
  }
  std::printf("\n%-44s %14s %18s\n", "model", "trip HR@10", "in-domain HR@10");
  for (int m = 0; m < 4; ++m) {
    std::printf("%-44s %14.4f %18.4f\n", names[m], triggers.empty() ? 0.0 : any_hits[m] / static_cast<double>(triggers.size()),
                targets == 0 ? 0.0 : domain_hits[m] / static_cast<double>(targets));
  }
  return 0;
}
