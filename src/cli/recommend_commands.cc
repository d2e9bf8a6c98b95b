// holo recommend train|for|eval: recommenders trained and evaluated on interaction files
// (docs/recommend.md).
#include "cli/recommend_commands.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <unordered_map>

#include <fmt/format.h>

#include "cli/cli_util.h"
#include "common/json_writer.h"
#include "holo/recommend.h"
#include "recommend/evaluate.h"
#include "recommend/model_file.h"

namespace holo::cli {

namespace {

using namespace holo::recommend;

// Every file's interactions; bad lines reported on stderr with their file and number.
InteractionLog ReadAll(const std::vector<std::string>& files, uint64_t* bad) {
  InteractionLog log;
  for (const std::string& f : files) {
    auto r = ReadInteractionFile(f, &log, [&](uint64_t line, std::string_view why, std::string_view) {
      if (++*bad <= 10) std::fprintf(stderr, "holo: warning: %s:%llu: %.*s (skipped)\n", f.c_str(),
                                     static_cast<unsigned long long>(line), static_cast<int>(why.size()), why.data());
    });
    Check(r.status(), "recommend");
  }
  if (*bad > 10) std::fprintf(stderr, "holo: warning: %llu bad lines in all (skipped)\n", static_cast<unsigned long long>(*bad));
  return log;
}

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void RecommendCommands::Add(CLI::App& app, const std::function<void(CLI::App*)>& add_data) {
  recommend_ = app.add_subcommand("recommend", "Recommendations: train, recommend, evaluate (on files or on the store)");
  recommend_->require_subcommand(1);
  std::string algos;
  for (auto a : Algorithms()) algos += (algos.empty() ? "" : ", ") + std::string(a);
  train_ = recommend_->add_subcommand(
      "train", "Train a model on interaction files (user, item, [weight,] time per line) or, without --interactions, on the store's events");
  train_->add_option("--interactions", files_, "Interaction files (tab- or comma-separated); without them: the store (--data)");
  train_->add_option("--model", model_, "Directory to write the model to (with --interactions)");
  train_->add_option("--algo", algo_, "Algorithm: " + algos + "; on the store also auto (the best by evaluation, the default); on files sequential by default");
  add_data(train_);
  train_->add_option("--lambda", lambda_, "EASE's ridge penalty")->capture_default_str()->check(CLI::Range(0.0, 1e9));
  train_->add_flag("--weights", weights_, "Let the weights scale interactions (else each counts 1)");
  AddJsonAlways(train_);
  for_ = recommend_->add_subcommand("for", "Recommend for users: CSV user,item,rank on stdout, their own items left out");
  for_->add_option("--model", model_, "A trained model's directory")->required();
  for_->add_option("--users", users_, "File of user ids, one per line")->required();
  for_->add_option("--k", k_, "Items per user")->capture_default_str()->check(CLI::Range(1, 10000));
  eval_ = recommend_->add_subcommand("eval", "Every model on interaction files: each user's latest item held out, HR@10, NDCG@10");
  eval_->add_option("--interactions", files_, "Interaction files")->required();
  eval_->add_option("--algo", algos_, "Algorithms to compare (default: all)")->delimiter(',');
  eval_->add_option("--lambda", lambda_, "EASE's ridge penalty")->capture_default_str()->check(CLI::Range(0.0, 1e9));
  eval_->add_flag("--weights", weights_, "Let the weights scale interactions");
  eval_->add_option("--target", target_, "next: each user's latest item; buy: their latest purchase (UserBehavior files)")
      ->capture_default_str()
      ->check(CLI::IsMember({"next", "buy"}));
  AddJsonFlag(eval_, &json_);
  interactions_ = recommend_->add_subcommand("interactions", "Every OneID's interactions from the store: CSV user,item,weight,time on stdout");
  add_data(interactions_);
  show_ = recommend_->add_subcommand("show", "One person's recommendations with their explanations (JSON; consent applies)");
  show_->add_option("--id", id_, "OneID or TYPE:VALUE identifier")->required();
  show_->add_option("--k", k_, "Items")->capture_default_str()->check(CLI::Range(1, 100));
  show_->add_option("--domain", domain_, "Only items of this domain (taobao, fliggy, ...)");
  add_data(show_);
  AddJsonAlways(show_);
  model_info_ = recommend_->add_subcommand("model", "What the store's model is: algorithm, when trained, its evaluation (JSON)");
  add_data(model_info_);
  AddJsonAlways(model_info_);
  lookalike_ = app.add_subcommand("lookalike", "Look-alike audience: the people most like a seed segment's members (docs/recommend.md)");
  auto* seed = lookalike_->add_option("--seed", seed_, "Seed: a saved segment or an expression");
  auto* seed_file = lookalike_->add_option("--seed-file", seed_file_, "Seed: a file of people, one OneID or TYPE:VALUE identifier per line (a customer list)");
  seed->excludes(seed_file);
  lookalike_->add_option("--scores", scores_, "Write every profile's score to this CSV file (oneid,score,in_seed)");
  lookalike_->add_option("--size", size_, "People wanted (none of the seed)")->required()->check(CLI::Range(uint64_t{1}, uint64_t{100000000}));
  lookalike_->add_option("--name", name_, "Save them as this segment (else only the report)");
  lookalike_->add_option("--exclude-traits", exclude_traits_, "Profile fields the similarity must not use")->delimiter(',');
  add_data(lookalike_);
  AddJsonAlways(lookalike_);
}

bool RecommendCommands::Parsed() const { return recommend_->parsed() || lookalike_->parsed(); }

bool RecommendCommands::NeedsEngine() const {
  return (train_->parsed() && files_.empty()) || interactions_->parsed() || show_->parsed() || model_info_->parsed() ||
         lookalike_->parsed();
}

int RecommendCommands::Run(Engine& engine) {
  RecommendService& service = engine.recommend();
  if (train_->parsed()) {
    if (!model_.empty()) Fail("recommend train: --model goes with --interactions; the store's model is kept in DATA/recommend");
    RecommendTrainOptions options;
    options.algo = algo_.empty() ? "auto" : algo_;
    options.use_weights = weights_;
    auto report = service.Train(options);
    Check(report.status(), "recommend train");
    std::printf("%s\n", report->c_str());
  } else if (interactions_->parsed()) {
    uint64_t rows = 0;
    Check(service.ExportInteractions(std::cout, &rows), "recommend interactions");
    std::cout.flush();
    std::fprintf(stderr, "holo: %llu interactions\n", static_cast<unsigned long long>(rows));
  } else if (show_->parsed()) {
    auto oneid = engine.serving().ResolveId(id_);
    Check(oneid.status(), "recommend show");
    auto json = service.RecommendationsJson(*oneid, k_, domain_);
    AuditCli(engine, "profile.recommendations", "oneid:" + std::to_string(*oneid), json.ok() ? 200 : 500);
    Check(json.status(), "recommend show");
    std::printf("%s\n", json->c_str());
  } else if (model_info_->parsed()) {
    auto json = service.ModelJson();
    Check(json.status(), "recommend model");
    std::printf("%s\n", json->c_str());
  } else if (lookalike_->parsed()) {
    LookalikeRequest request;
    request.seed = seed_;
    if (seed_.empty() && seed_file_.empty()) Fail("lookalike: give --seed SEGMENT_OR_EXPRESSION or --seed-file FILE");
    if (!seed_file_.empty()) {
      std::ifstream in(seed_file_);
      if (!in) Fail("lookalike: cannot read " + seed_file_);
      uint64_t unknown = 0, line_no = 0;
      for (std::string line; std::getline(in, line);) {
        ++line_no;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty()) continue;
        auto oneid = engine.serving().ResolveId(line);
        if (oneid.ok()) {
          request.seed_oneids.push_back(*oneid);
        } else if (oneid.status().code() == StatusCode::kNotFound) {
          ++unknown;
        } else {
          Check(oneid.status(), "lookalike: " + seed_file_ + ":" + std::to_string(line_no));
        }
      }
      if (unknown > 0) {
        std::fprintf(stderr, "holo: note: %llu of the seed file's people are unknown here (left out)\n", static_cast<unsigned long long>(unknown));
      }
    }
    std::ofstream scores;
    if (!scores_.empty()) {
      scores.open(scores_, std::ios::trunc);
      if (!scores) Fail("lookalike: cannot write " + scores_);
      scores << "oneid,score,in_seed\n";
      request.on_score = [&](uint64_t oneid, float score, bool in_seed) { scores << oneid << ',' << score << ',' << (in_seed ? 1 : 0) << '\n'; };
    }
    request.size = size_;
    request.name = name_;
    request.exclude_traits = exclude_traits_;
    auto json = service.Lookalike(request);
    if (!name_.empty()) AuditCli(engine, "segment.lookalike", "segment:" + name_, json.ok() ? 200 : 500);
    Check(json.status(), "lookalike");
    if (scores.is_open()) {
      scores.close();
      if (!scores) Fail("lookalike: writing " + scores_ + " failed");
    }
    std::printf("%s\n", json->c_str());
  }
  return 0;
}

int RecommendCommands::Run() {
  if (train_->parsed()) {
    if (model_.empty()) Fail("recommend train: --interactions needs --model DIR (where to write the model)");
    if (algo_.empty()) algo_ = "sequential";
    if (algo_ == "auto") Fail("recommend train: --algo auto is for the store (--data); on files use `holo recommend eval` to compare");
    uint64_t bad = 0;
    const InteractionLog log = ReadAll(files_, &bad);
    TrainedModel t;
    t.options.algo = algo_;
    t.options.lambda = lambda_;
    t.options.use_weights = weights_;
    t.data = Dataset::From(log);
    auto m = MakeRecommender(t.options);
    Check(m.status(), "recommend train");
    t.model = std::move(*m);
    const auto start = std::chrono::steady_clock::now();
    Check(t.model->Fit(t.data), "recommend train");
    const double seconds = Since(start);
    Check(SaveModel(model_, t), "recommend train");
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("model").String(model_).Key("algo").String(algo_).Key("chosen").String(t.model->Describe());
    w.Key("users").Uint(t.data.num_users()).Key("items").Uint(t.data.num_items());
    w.Key("interactions").Uint(log.size()).Key("bad_lines").Uint(bad).Key("fit_seconds").Double(std::round(seconds * 1000) / 1000);
    w.EndObject();
    std::printf("%s\n", out.c_str());
  } else if (for_->parsed()) {
    auto t = LoadModel(model_);
    Check(t.status(), "recommend for");
    std::ifstream in(users_);
    if (!in) Fail("recommend for: cannot read " + users_);
    // Users the model has not seen get the most popular items.
    recommend::Options popular;
    popular.algo = "popularity";
    auto fallback = MakeRecommender(popular);
    Check(fallback.status());
    Check((*fallback)->Fit(t->data));
    std::printf("user,item,rank\n");
    std::string user;
    uint64_t unknown = 0;
    const std::vector<Dataset::Event> none;
    while (std::getline(in, user)) {
      while (!user.empty() && (user.back() == '\r' || user.back() == ' ')) user.pop_back();
      if (user.empty()) continue;
      auto u = t->data.user_index.find(user);
      const Recommender& model = u == t->data.user_index.end() ? **fallback : *t->model;
      if (u == t->data.user_index.end()) ++unknown;
      const auto& history = u == t->data.user_index.end() ? none : t->data.by_user[u->second];
      size_t rank = 0;
      for (const auto& [item, score] : TopK(model, history, t->data.num_items(), k_)) {
        std::printf("%s,%s,%zu\n", user.c_str(), t->data.items[item].c_str(), ++rank);
      }
    }
    if (unknown > 0) {
      std::fprintf(stderr, "holo: note: %llu users unknown to the model got the most popular items\n",
                   static_cast<unsigned long long>(unknown));
    }
  } else if (eval_->parsed()) {
    uint64_t bad = 0;
    const InteractionLog log = ReadAll(files_, &bad);
    const Dataset all = Dataset::From(log);
    const Split split = target_ == "buy" ? LeaveLastPurchaseOut(all) : LeaveLastOut(all);
    std::vector<std::string> algos = algos_;
    if (algos.empty()) {
      for (auto a : Algorithms()) algos.emplace_back(a);
    }
    std::string out, text = fmt::format("{} users, {} items, {} interactions; each user's latest {} held out, full ranking\n\n"
                                        "{:<12} {:>8} {:>8} {:>8}  chosen\n",
                                        split.train.num_users(), split.train.num_items(), log.size(),
                                        target_ == "buy" ? "purchase" : "item", "model", "HR@10",
                                        "NDCG@10", "fit s");
    JsonWriter w(&out);
    w.BeginObject().Key("users").Uint(split.train.num_users()).Key("items").Uint(split.train.num_items());
    w.Key("interactions").Uint(log.size()).Key("bad_lines").Uint(bad).Key("target").String(target_);
    w.Key("models").BeginArray();
    for (const std::string& algo : algos) {
      recommend::Options o;
      o.algo = algo;
      o.lambda = lambda_;
      o.use_weights = weights_;
      o.next_purchase = target_ == "buy";
      auto m = MakeRecommender(o);
      Check(m.status(), "recommend eval");
      const auto start = std::chrono::steady_clock::now();
      const Status fit = (*m)->Fit(split.train);
      const double seconds = Since(start);
      w.BeginObject().Key("algo").String(algo);
      if (!fit.ok()) {
        w.Key("error").String(fit.message()).EndObject();
        text += fmt::format("{:<12} {}\n", algo, fit.message());
        continue;
      }
      const RankMetrics r = Evaluate(**m, split);
      w.Key("hr10").Double(std::round(r.hr * 10000) / 10000).Key("ndcg10").Double(std::round(r.ndcg * 10000) / 10000);
      w.Key("fit_seconds").Double(std::round(seconds * 1000) / 1000).Key("chosen").String((*m)->Describe()).EndObject();
      text += fmt::format("{:<12} {:>8.4f} {:>8.4f} {:>8.2f}  {}\n", algo, r.hr, r.ndcg, seconds, (*m)->Describe());
    }
    w.EndArray().EndObject();
    if (!text.empty() && text.back() == '\n') text.pop_back();
    PrintResult(json_, out, text);
  }
  return 0;
}

}  // namespace holo::cli
