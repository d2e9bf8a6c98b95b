#include "recommend/service.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "common/coding.h"
#include "common/json_writer.h"
#include "common/time_util.h"
#include "recommend/cross_domain.h"
#include "recommend/evaluate.h"
#include "recommend/events.h"
#include "recommend/model_file.h"
#include "recommend/models.h"
#include "recommend/trending.h"

namespace holo::recommend {

// The newest events a recommendation reads of a person (their history at that moment): 50
// covers the sequential model's recency (an event 50 back weighs 2^-6 at its usual half-life)
// and bounds the reads per request.
constexpr size_t kServedHistory = 50;

struct Service::Served {
  TrainedModel trained;
  CrossDomain cross;
  double cross_weight = 0;
  Trending trend;
  double trend_weight = 0;
  uint32_t sparse_keep = 0;  // rows cut to this many entries to serve (Train measured they rank as well); 0: whole
  std::vector<std::string> labels;       // per item, what it is, for people
  std::vector<float> popularity;         // per item, its users at training
  std::vector<std::string> domains;      // sorted
  std::vector<uint32_t> domain_of;       // per item, its index in `domains`
  std::vector<uint32_t> by_popularity;   // the items, most popular first
  int64_t trained_at_ms = 0;
  std::string report;                    // Train's report
  int64_t file_mtime_ns = 0;
};

namespace {

std::string ModelPath(const std::string& dir) { return dir + "/model.holo"; }

// The file's modification time (ns), 0 when there is none.
int64_t MtimeNs(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// Interactions of every OneID from the store's events, with each item's label.
struct StoreLog {
  InteractionLog log;
  std::unordered_map<std::string, std::string> labels;
};

Result<StoreLog> ReadStore(const ServiceHooks& hooks) {
  StoreLog out;
  std::vector<ItemTouch> touches;
  HOLO_RETURN_IF_ERROR(hooks.scan_events([&](uint64_t oneid, int64_t ts_ms, std::string_view source,
                                             std::string_view event, std::string_view props) {
    touches.clear();
    ItemsOfEvent(source, event, props, &touches);
    for (ItemTouch& t : touches) {
      out.labels.try_emplace(t.item, t.label);
      Interaction i;
      i.user = std::to_string(oneid);
      i.item = std::move(t.item);
      i.weight = t.weight;
      i.ts = ts_ms / 1000;
      i.kind = t.kind;
      out.log.push_back(std::move(i));
    }
  }));
  return out;
}

// ---- the serving state beside the model in model.holo (TrainedModel::extra) ----

void PutDouble(std::string* out, double v) { out->append(reinterpret_cast<const char*>(&v), sizeof(v)); }
bool GetDouble(std::string_view* in, double* v) {
  if (in->size() < sizeof(*v)) return false;
  std::memcpy(v, in->data(), sizeof(*v));
  in->remove_prefix(sizeof(*v));
  return true;
}

std::string EncodeExtra(const Service::Served& s) {
  std::string out;
  PutDouble(&out, s.cross_weight);
  coding::PutVarsint64(&out, s.trained_at_ms);
  std::string cross;
  s.cross.Save(&cross);
  coding::PutLengthPrefixed(&out, cross);
  coding::PutVarint64(&out, s.labels.size());
  for (const auto& l : s.labels) coding::PutLengthPrefixed(&out, l);
  coding::PutVarint64(&out, s.popularity.size());
  out.append(reinterpret_cast<const char*>(s.popularity.data()), s.popularity.size() * sizeof(float));
  coding::PutLengthPrefixed(&out, s.report);
  // Since the trending boost: its weight and state (a file without them has none).
  PutDouble(&out, s.trend_weight);
  std::string trend;
  s.trend.Save(&trend);
  coding::PutLengthPrefixed(&out, trend);
  coding::PutVarint64(&out, s.sparse_keep);  // since sparse serving (a file without it scores densely)
  return out;
}

Status DecodeExtra(std::string_view in, Service::Served* s) {
  const Status damaged = Status::DataLoss("recommend: the serving part of the model file is damaged (train again)");
  std::string_view cross, text;
  uint64_t n = 0;
  if (!GetDouble(&in, &s->cross_weight) || !coding::GetVarsint64(&in, &s->trained_at_ms) ||
      !coding::GetLengthPrefixed(&in, &cross) || !coding::GetVarint64(&in, &n)) {
    return damaged;
  }
  HOLO_RETURN_IF_ERROR(s->cross.Load(cross));
  for (uint64_t i = 0; i < n; ++i) {
    if (!coding::GetLengthPrefixed(&in, &text)) return damaged;
    s->labels.emplace_back(text);
  }
  if (!coding::GetVarint64(&in, &n) || in.size() < n * sizeof(float)) return damaged;
  s->popularity.resize(n);
  std::memcpy(s->popularity.data(), in.data(), n * sizeof(float));
  in.remove_prefix(n * sizeof(float));
  if (!coding::GetLengthPrefixed(&in, &text)) return damaged;
  s->report = std::string(text);
  if (in.empty()) return Status::OK();  // trained before the trending boost
  std::string_view trend;
  if (!GetDouble(&in, &s->trend_weight) || !coding::GetLengthPrefixed(&in, &trend)) return damaged;
  HOLO_RETURN_IF_ERROR(s->trend.Load(trend));
  uint64_t keep = 0;
  if (!in.empty() && (!coding::GetVarint64(&in, &keep) || keep > (1u << 20))) return damaged;
  s->sparse_keep = static_cast<uint32_t>(keep);
  if (keep > 0 && !s->trained.model->CutRows(s->sparse_keep)) s->sparse_keep = 0;
  return Status::OK();
}

void IndexDomains(Service::Served* s) {
  const auto& items = s->trained.data.items;
  std::map<std::string, uint32_t> index;
  for (const auto& item : items) index.emplace(std::string(DomainOf(item)), 0);
  uint32_t k = 0;
  for (auto& [name, i] : index) {
    i = k++;
    s->domains.push_back(name);
  }
  s->domain_of.reserve(items.size());
  for (const auto& item : items) s->domain_of.push_back(index.at(std::string(DomainOf(item))));
  s->by_popularity.resize(items.size());
  for (uint32_t j = 0; j < items.size(); ++j) s->by_popularity[j] = j;
  std::stable_sort(s->by_popularity.begin(), s->by_popularity.end(),
                   [&](uint32_t a, uint32_t b) { return s->popularity[a] > s->popularity[b]; });
}

// Each item's users at training: the popularity baseline's scores (the answer for a person the
// model knows nothing of).
Result<std::vector<float>> Popularity(const Dataset& d) {
  Options o;
  o.algo = "popularity";
  HOLO_ASSIGN_OR_RETURN(auto model, MakeRecommender(o));
  HOLO_RETURN_IF_ERROR(model->Fit(d));
  std::vector<float> users(d.num_items());
  model->Score({}, users);
  return users;
}

void WriteMetrics(JsonWriter& w, std::string_view algo, const RankMetrics& m) {
  w.BeginObject().Key("algo").String(algo);
  w.Key("hr_at_10").Double(std::round(m.hr * 10000) / 10000).Key("ndcg_at_10").Double(std::round(m.ndcg * 10000) / 10000);
  w.Key("users").Uint(m.users).EndObject();
}

}  // namespace

Service::Service(std::string dir, ServiceHooks hooks) : dir_(std::move(dir)), hooks_(std::move(hooks)) {}
Service::~Service() = default;

Status Service::ExportInteractions(std::ostream& out, uint64_t* rows) {
  HOLO_ASSIGN_OR_RETURN(StoreLog store, ReadStore(hooks_));
  out << "user,item,weight,time\n";
  for (const Interaction& i : store.log) out << i.user << ',' << i.item << ',' << i.weight << ',' << i.ts << '\n';
  if (rows != nullptr) *rows = store.log.size();
  if (!out) return Status::IOError("recommend: writing the interactions failed");
  return Status::OK();
}

Result<std::string> Service::Train(const RecommendTrainOptions& options) {
  MutexLock training(&train_mu_);
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> algos;
  if (options.algo == "auto") {
    for (auto a : Algorithms()) algos.emplace_back(a);
  } else {
    Options probe;
    probe.algo = options.algo;
    HOLO_RETURN_IF_ERROR(MakeRecommender(probe).status());
    algos.push_back(options.algo);
  }
  HOLO_ASSIGN_OR_RETURN(StoreLog store, ReadStore(hooks_));
  Dataset all = Dataset::From(store.log);
  if (all.num_users() < 2 || all.num_items() < 2) {
    return Status::FailedPrecondition(fmt::format(
        "recommend train: the store holds {} interactions of {} people with {} items: too few to learn from (ingest "
        "events that touch items: docs/recommend.md)",
        store.log.size(), all.num_users(), all.num_items()));
  }
  // Each model on the same hold-out (every person's latest item), fitted on the rest.
  const Split split = LeaveLastOut(all);
  std::string report;
  JsonWriter w(&report);
  w.BeginObject();
  w.Key("users").Uint(all.num_users()).Key("items").Uint(all.num_items()).Key("interactions").Uint(all.num_interactions());
  std::map<std::string, uint64_t> per_domain;
  for (const auto& item : all.items) ++per_domain[std::string(DomainOf(item))];
  w.Key("domains").BeginObject();
  for (const auto& [d, n] : per_domain) w.Key(d).Uint(n);
  w.EndObject();
  w.Key("evaluation").BeginArray();
  std::string best_algo;
  RankMetrics best_metrics;
  std::unique_ptr<Recommender> best_on_split;
  std::vector<std::string> skipped;
  for (const auto& algo : algos) {
    Options o;
    o.algo = algo;
    o.use_weights = options.use_weights;
    HOLO_ASSIGN_OR_RETURN(auto model, MakeRecommender(o));
    const Status fit = model->Fit(split.train);
    if (!fit.ok()) {
      if (options.algo != "auto") return fit.WithContext("recommend train");
      skipped.push_back(algo + ": " + fit.message());
      continue;
    }
    const RankMetrics m = Evaluate(*model, split);
    WriteMetrics(w, algo, m);
    if (best_on_split == nullptr || m.ndcg > best_metrics.ndcg) {
      best_algo = algo;
      best_metrics = m;
      best_on_split = std::move(model);
    }
  }
  w.EndArray();
  if (best_on_split == nullptr) return Status::InvalidArgument("recommend train: no model fits: " + skipped.front());
  if (!skipped.empty()) {
    w.Key("skipped").BeginArray();
    for (const auto& s : skipped) w.String(s);
    w.EndArray();
  }
  // Serving scores each history with the model's rows cut to their largest entries: the
  // fewest that rank the hold-out as well as the whole rows do (within 1% of NDCG@10); the
  // whole rows when no cut does.
  uint32_t serve_keep = 0;
  std::vector<std::pair<uint32_t, RankMetrics>> cuts;
  for (uint32_t keep : {32u, 64u, 128u, 256u, 512u}) {
    if (!best_on_split->CutRows(keep)) break;
    bool has = false;
    cuts.emplace_back(keep, EvaluateSparse(*best_on_split, split, &has));
    if (has && cuts.back().second.ndcg >= 0.99 * best_metrics.ndcg) {
      serve_keep = keep;
      break;
    }
  }
  // The cross-domain step's weight, on the same hold-out.
  CrossDomain split_cross;
  split_cross.Fit(split.train);
  CrossChoice choice;
  const double weight = ChooseCrossWeight(*best_on_split, split_cross, split, all, &choice);
  // The trending boost's weight, on the same hold-out, over the model and the step.
  Trending split_trend;
  split_trend.Fit(split.train);
  TrendChoice trend_choice;
  const double trend_weight = ChooseTrendWeight(*best_on_split, split_cross, weight, split_trend, split, all, &trend_choice);
  best_on_split.reset();

  auto served = std::make_shared<Served>();
  served->trained.options.algo = best_algo;
  served->trained.options.use_weights = options.use_weights;
  HOLO_ASSIGN_OR_RETURN(served->trained.model, MakeRecommender(served->trained.options));
  HOLO_RETURN_IF_ERROR(served->trained.model->Fit(all).WithContext("recommend train"));
  served->cross.Fit(all);
  served->cross_weight = weight;
  served->trend.Fit(all);
  served->trend_weight = trend_weight;
  served->sparse_keep = serve_keep;
  if (serve_keep > 0) served->trained.model->CutRows(serve_keep);
  HOLO_ASSIGN_OR_RETURN(served->popularity, Popularity(all));
  for (const auto& item : all.items) {
    auto it = store.labels.find(item);
    served->labels.push_back(it == store.labels.end() ? item : it->second);
  }
  served->trained_at_ms = NowMs();
  w.Key("algo").String(best_algo).Key("describe").String(served->trained.model->Describe());
  w.Key("cross_domain").BeginObject().Key("pairs").Uint(served->cross.pairs()).Key("weight").Double(weight);
  w.Key("all_targets").BeginArray();
  WriteMetrics(w, best_algo + "+cross", choice.overall);
  WriteMetrics(w, best_algo, choice.overall_without);
  w.EndArray().Key("cross_domain_targets").BeginArray();
  WriteMetrics(w, best_algo + "+cross", choice.across);
  WriteMetrics(w, best_algo, choice.across_without);
  w.EndArray().EndObject();
  w.Key("trending").BeginObject().Key("topics").Uint(served->trend.topics()).Key("pairs").Uint(served->trend.pairs());
  w.Key("weight").Double(trend_weight).Key("held_items_with_trends").Uint(trend_choice.moments_with_trends);
  w.Key("all_targets").BeginArray();
  WriteMetrics(w, best_algo + "+cross+trending", trend_choice.overall);
  WriteMetrics(w, best_algo + "+cross", trend_choice.overall_without);
  w.EndArray().Key("trending_targets").BeginArray();
  WriteMetrics(w, best_algo + "+cross+trending", trend_choice.trending);
  WriteMetrics(w, best_algo + "+cross", trend_choice.trending_without);
  w.EndArray().EndObject();
  w.Key("serving").BeginObject().Key("scoring").String(serve_keep > 0 ? "sparse" : "dense");
  w.Key("kept_per_row").Uint(serve_keep).Key("compared").BeginArray();
  for (const auto& [keep, m] : cuts) WriteMetrics(w, fmt::format("{} ({} per row)", best_algo, keep), m);
  WriteMetrics(w, best_algo, best_metrics);
  w.EndArray().EndObject();
  w.Key("trained_at").String(FormatIso8601Ms(served->trained_at_ms));
  w.Key("seconds").Double(std::round(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() * 100) / 100);
  w.EndObject();
  served->report = report;
  served->trained.data = std::move(all);
  served->trained.extra = EncodeExtra(*served);
  HOLO_RETURN_IF_ERROR(SaveModel(dir_, served->trained));
  served->trained.extra.clear();
  IndexDomains(served.get());
  served->file_mtime_ns = MtimeNs(ModelPath(dir_));
  MutexLock lock(&mu_);
  served_ = std::move(served);
  checked_ms_ = NowMs();
  return report;
}

Status Service::Warm() {
  auto current = Current();
  if (!current.ok() && current.status().code() != StatusCode::kFailedPrecondition) return current.status();
  return Status::OK();
}

Result<std::shared_ptr<const Service::Served>> Service::Current() {
  // The model file is looked at again at most twice a second (a stat per request is a tenth
  // of a request's time).
  const int64_t now = NowMs();
  {
    MutexLock lock(&mu_);
    if (served_ != nullptr && now - checked_ms_ >= 0 && now - checked_ms_ < kCheckEveryMs) return served_;
  }
  const int64_t mtime = MtimeNs(ModelPath(dir_));
  {
    MutexLock lock(&mu_);
    checked_ms_ = now;
    if (served_ != nullptr && served_->file_mtime_ns == mtime) return served_;
  }
  // A model file of hundreds of MB is read once, however many requests ask at once.
  MutexLock loading(&load_mu_);
  {
    MutexLock lock(&mu_);
    if (served_ != nullptr && served_->file_mtime_ns == mtime) return served_;
  }
  if (mtime == 0) {
    return Status::FailedPrecondition("no recommendation model yet: run `holo recommend train --data DATA` (docs/recommend.md)");
  }
  auto loaded = LoadModel(dir_);
  if (!loaded.ok()) return loaded.status();
  auto served = std::make_shared<Served>();
  served->trained = std::move(*loaded);
  if (served->trained.extra.empty()) {
    return Status::FailedPrecondition(dir_ + ": the model was trained from a file, not the store: run `holo recommend train --data DATA`");
  }
  HOLO_RETURN_IF_ERROR(DecodeExtra(served->trained.extra, served.get()));
  served->trained.extra.clear();
  if (served->labels.size() != served->trained.data.num_items() || served->popularity.size() != served->trained.data.num_items()) {
    return Status::DataLoss(ModelPath(dir_) + ": the serving part does not match the model (train again)");
  }
  IndexDomains(served.get());
  served->file_mtime_ns = mtime;
  MutexLock lock(&mu_);
  served_ = served;
  return std::shared_ptr<const Served>(std::move(served));
}

Result<std::string> Service::ModelJson() {
  std::string out;
  JsonWriter w(&out);
  auto current = Current();
  if (!current.ok() && current.status().code() == StatusCode::kFailedPrecondition) {
    w.BeginObject().Key("trained").Bool(false).Key("message").String(current.status().message()).EndObject();
    return out;
  }
  if (!current.ok()) return current.status();
  const Served& s = **current;
  w.BeginObject().Key("trained").Bool(true).Key("algo").String(s.trained.options.algo);
  w.Key("describe").String(s.trained.model->Describe()).Key("trained_at").String(FormatIso8601Ms(s.trained_at_ms));
  w.Key("users").Uint(s.trained.data.num_users()).Key("items").Uint(s.trained.data.num_items());
  w.Key("domains").BeginArray();
  for (const auto& d : s.domains) w.String(d);
  w.EndArray();
  w.Key("report").RawValue(s.report.empty() ? "null" : s.report);
  w.EndObject();
  return out;
}

bool Service::InMemory(uint64_t oneid) {
  std::shared_ptr<const Served> s;
  const int64_t now = NowMs();
  {
    MutexLock lock(&mu_);
    if (now - checked_ms_ < 0 || now - checked_ms_ >= kCheckEveryMs) return false;  // Current looks at the file
    s = served_;
  }
  if (s == nullptr) return false;
  return histories_.Contains(oneid, static_cast<uint64_t>(s->file_mtime_ns), NowMs());
}

Result<std::shared_ptr<const HistoryCache::History>> Service::HistoryOf(const Served& s, uint64_t oneid) {
  const int64_t now = NowMs();
  if (auto kept = histories_.Get(oneid, static_cast<uint64_t>(s.file_mtime_ns), now)) return kept;
  const uint64_t epoch = histories_.Epoch();
  auto history = std::make_shared<HistoryCache::History>();
  std::vector<ItemTouch> touches;
  const auto& index = s.trained.data.item_index;
  HOLO_RETURN_IF_ERROR(hooks_.recent_events(oneid, kServedHistory, [&](uint64_t, int64_t ts_ms, std::string_view source,
                                                                       std::string_view event, std::string_view props) {
    touches.clear();
    ItemsOfEvent(source, event, props, &touches);
    for (const ItemTouch& t : touches) {
      auto it = index.find(t.item);
      if (it != index.end()) history->push_back({ts_ms, it->second, t.weight, histories_.VerbId(t.verb)});
    }
  }));
  std::stable_sort(history->begin(), history->end(), [](const auto& a, const auto& b) { return a.ts_ms < b.ts_ms; });
  histories_.Put(oneid, static_cast<uint64_t>(s.file_mtime_ns), history, now, epoch);
  return std::shared_ptr<const HistoryCache::History>(std::move(history));
}

Result<std::string> Service::RecommendationsJson(uint64_t oneid, size_t k, std::string_view domain) {
  k = std::clamp<size_t>(k, 1, 100);
  HOLO_ASSIGN_OR_RETURN(std::shared_ptr<const Served> current, Current());
  const Served& s = *current;
  int domain_index = -1;
  if (!domain.empty()) {
    auto it = std::lower_bound(s.domains.begin(), s.domains.end(), domain);
    if (it == s.domains.end() || *it != domain) {
      std::string known;
      for (const auto& d : s.domains) known += (known.empty() ? "" : ", ") + d;
      return Status::InvalidArgument(fmt::format("recommendations: the model has no item of domain '{}' (it has: {})", domain, known));
    }
    domain_index = static_cast<int>(it - s.domains.begin());
  }
  std::string out;
  out.reserve(4096);  // ten items with their labels and reasons: written without regrowing
  JsonWriter w(&out);
  w.BeginObject().Key("oneid").Uint(oneid).Key("domain").String(domain);
  HOLO_ASSIGN_OR_RETURN(const bool allowed, hooks_.allowed(oneid));
  w.Key("allowed").Bool(allowed);
  if (!allowed) {
    w.Key("personalized").Bool(false).Key("items").BeginArray().EndArray().EndObject();
    return out;
  }
  // The person's history now: their newest events, in time order, as the model's items.
  HOLO_ASSIGN_OR_RETURN(std::shared_ptr<const HistoryCache::History> seen, HistoryOf(s, oneid));
  const Dataset& data = s.trained.data;
  thread_local std::vector<Dataset::Event> history;
  history.clear();
  for (const auto& t : *seen) history.push_back({t.item, t.weight, t.ts_ms / 1000, Kind::kAny});
  const size_t n = data.num_items();
  const bool personalized = !history.empty();
  // What is trending now, for everyone, at the weight the hold-out chose.
  const int64_t now_s = (hooks_.now_ms ? hooks_.now_ms() : NowMs()) / 1000;
  thread_local SparseScores boost;
  boost.Reset(n);
  float trend_scale = 0;
  if (s.trend_weight > 0) {
    s.trend.ScoreSparse(now_s, n, &boost);
    const float top = boost.MaxAbs();
    if (top > 0) trend_scale = static_cast<float>(s.trend_weight) / top;
  }
  thread_local SparseScores own;  // the person's items: touched
  own.Reset(n);
  for (const auto& e : history) own.Add(e.item, 1);
  const auto wanted = [&](uint32_t j) {
    return !own.touched(j) && (domain_index < 0 || s.domain_of[j] == static_cast<uint32_t>(domain_index));
  };
  thread_local std::vector<std::pair<uint32_t, float>> ranked;
  ranked.clear();
  // Sparse: only the items the history, the cross-domain step and the trends raise are
  // scored (every other item scores 0: Recommender::ScoreSparse); else every item.
  thread_local SparseScores base, cross;
  const bool sparse = personalized && s.sparse_keep > 0 && s.trained.model->ScoreSparse(history, &base);
  if (sparse) {
    // The blend a·base + c·cross + t·boost, added into base: base + (c/a)·cross + (t/a)·boost
    // ranks the same (a > 0), and each score is scaled by a as it is ranked.
    s.cross.ScoreSparse(history, &cross);
    const float mb = base.MaxAbs(), mc = cross.MaxAbs();
    const float a = mb > 0 ? 1.0f / mb : 1.0f;  // a base of zeros is left as it is
    const float c = mc > 0 ? static_cast<float>(s.cross_weight) / mc : 0.0f;
    if (c != 0) {
      for (uint32_t j : cross.items()) base.Add(j, c / a * cross[j]);
    }
    if (trend_scale != 0) {
      for (uint32_t j : boost.items()) base.Add(j, trend_scale / a * boost[j]);
    }
    for (uint32_t j : base.items()) {
      if (wanted(j)) ranked.emplace_back(j, a * base[j]);
    }
  } else {
    thread_local std::vector<float> scores, dense_base, dense_cross;
    scores.resize(n);
    if (personalized) {
      dense_base.resize(n);
      dense_cross.resize(n);
      s.trained.model->Score(history, dense_base);
      s.cross.Score(history, dense_cross);
      BlendCross(dense_base, dense_cross, s.cross_weight, scores);
    } else {
      scores = s.popularity;
      if (trend_scale > 0) {  // popularity at the scale of a blend
        float most = 0;
        for (float v : scores) most = std::max(most, v);
        if (most > 0) for (float& v : scores) v /= most;
      }
    }
    for (uint32_t j : boost.items()) scores[j] += trend_scale * boost[j];
    for (uint32_t j = 0; j < n; ++j) {
      if (wanted(j)) ranked.emplace_back(j, scores[j]);
    }
  }
  const size_t keep = std::min(k, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(),
                    [](const auto& a, const auto& b) { return a.second > b.second || (a.second == b.second && a.first < b.first); });
  ranked.resize(keep);
  if (sparse && ranked.size() < k) {
    // Fewer raised than asked for: the most popular of the rest after them.
    for (uint32_t j : s.by_popularity) {
      if (ranked.size() == k) break;
      if (wanted(j) && !base.touched(j)) ranked.emplace_back(j, 0.0f);
    }
  }
  // Why each: the event that lends it the most, through the cross-domain step when that is
  // what raises it, else through the model.
  std::vector<uint32_t> items;
  for (const auto& [j, score] : ranked) items.push_back(j);
  std::vector<int> because(items.size(), -1);
  if (personalized) {
    because = s.trained.model->Because(history, items);
    if (s.cross_weight > 0) {
      for (size_t r = 0; r < items.size(); ++r) {
        const int c = s.cross.Because(history, items[r]);
        if (c >= 0) because[r] = c;
      }
    }
  }
  w.Key("personalized").Bool(personalized).Key("model").String(s.trained.options.algo);
  w.Key("items").BeginArray();
  for (size_t r = 0; r < ranked.size(); ++r) {
    const uint32_t j = ranked[r].first;
    w.BeginObject().Key("item").String(data.items[j]).Key("domain").String(s.domains[s.domain_of[j]]);
    w.Key("label").String(s.labels[j]).Key("score").Double(std::round(static_cast<double>(ranked[r].second) * 10000) / 10000);
    // Raised more by what is trending than by the person's own history: say so.
    const float trend_part = trend_scale * boost[j];
    const int topic = trend_part > 0 && 2 * trend_part >= ranked[r].second ? s.trend.Because(now_s, j) : -1;
    if (topic >= 0) {
      w.Key("because").String("trending: people are posting about " + s.labels[static_cast<size_t>(topic)]);
    } else if (because[r] >= 0) {
      const HistoryCache::Touch& e = (*seen)[static_cast<size_t>(because[r])];
      w.Key("because").String(ExplainBecause(histories_.Verb(e.verb), s.labels[e.item]));
    } else {
      w.Key("because").String("popular on " + s.domains[s.domain_of[j]]);
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

}  // namespace holo::recommend
