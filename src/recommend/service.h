// The recommendation service of the engine (holo/recommend.h): trains on the store's events
// and serves recommendations and look-alike audiences. It reaches the store only through
// the hooks the engine hands it — events with their OneID, a person's newest events, consent,
// segment members, profiles — and keeps its own state: the trained model in
// DIR/model.holo (DIR is DATA/recommend) and, in memory, the model last loaded, under its
// own lock.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/thread_annotations.h"
#include "holo/recommend.h"
#include "recommend/history_cache.h"

namespace holo::recommend {

struct ServiceHooks {
  using EventFn = std::function<void(uint64_t oneid, int64_t ts_ms, std::string_view source, std::string_view event,
                                     std::string_view properties_json)>;
  // Every stored event with the OneID it belongs to.
  std::function<Status(const EventFn&)> scan_events;
  // A person's newest `most` events, in any order.
  std::function<Status(uint64_t oneid, size_t most, const EventFn&)> recent_events;
  // Whether the consent policy allows the "recommendation" use for a person.
  std::function<Result<bool>(uint64_t oneid)> allowed;
  // The members of a saved segment or an expression (look-alike seeds), sorted.
  std::function<Result<std::vector<uint32_t>>(std::string_view)> members;
  // Every profile: (OneID, its JSON as ProfileJson shows it).
  std::function<Status(const std::function<void(uint64_t, std::string_view)>&)> scan_profiles;
  // The engine's clock, ms since the epoch (HOLO_NOW when set): what "trending now" means.
  std::function<int64_t()> now_ms;
  // Saves `members` as the segment `name` (kAlreadyExists when the name is taken).
  std::function<Status(std::string_view name, const std::vector<uint32_t>& members)> save_segment;
};

class Service final : public RecommendService {
 public:
  Service(std::string dir, ServiceHooks hooks);
  ~Service() override;

  Status ExportInteractions(std::ostream& out, uint64_t* rows) override;
  Result<std::string> Train(const RecommendTrainOptions& options) override;
  Result<std::string> ModelJson() override;
  Result<std::string> RecommendationsJson(uint64_t oneid, size_t k, std::string_view domain) override;
  Result<std::string> Lookalike(const LookalikeRequest& request) override;
  bool InMemory(uint64_t oneid) override;
  // Loads the trained model now, if there is one (a server at its start: the first request
  // then does not wait for it). OK without a model.
  Status Warm();
  // The profiles of `oneids` (of everyone, when `all`) changed: their histories kept in
  // memory are read again at their next request.
  void Forget(const std::vector<uint64_t>& oneids, bool all) { histories_.Forget(oneids, all); }
  HistoryCache::Stats history_stats() const { return histories_.stats(); }

  struct Served;  // a loaded model with its cross-domain step and item labels (service.cc)

 private:
  // The model of DIR/model.holo, loaded at the first use and again after a Train.
  Result<std::shared_ptr<const Served>> Current() EXCLUDES(mu_);
  // A person's newest events as the model's items, oldest first: from memory when asked for
  // lately and unchanged since, else read and kept.
  Result<std::shared_ptr<const HistoryCache::History>> HistoryOf(const Served& served, uint64_t oneid);

  const std::string dir_;
  const ServiceHooks hooks_;
  Mutex load_mu_ ACQUIRED_BEFORE(mu_);  // one load at a time: requests that find no model wait for it
  Mutex mu_;
  std::shared_ptr<const Served> served_ GUARDED_BY(mu_);
  static constexpr int64_t kCheckEveryMs = 500;
  int64_t checked_ms_ GUARDED_BY(mu_) = 0;  // when Current last looked at the model file
  Mutex train_mu_;  // one Train at a time
  // 256 MB: the histories of about 200,000 people of 50 items; five minutes at most.
  HistoryCache histories_{256u << 20, 5 * 60 * 1000};
};

}  // namespace holo::recommend
