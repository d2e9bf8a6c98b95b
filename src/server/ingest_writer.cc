#include "server/ingest_writer.h"

namespace holo::server {

IngestWriter::IngestWriter(Engine* engine, std::shared_mutex* state_mu, std::chrono::milliseconds resolve_interval,
                           std::function<void(const std::string&)> log, std::function<void()> on_resolve)
    : engine_(engine),
      state_mu_(state_mu),
      resolve_interval_(resolve_interval),
      log_(std::move(log)),
      on_resolve_(std::move(on_resolve)) {}

IngestWriter::~IngestWriter() { Stop(); }

void IngestWriter::Start() { thread_ = std::thread([this] { Loop(); }); }

IngestWriter::Answer IngestWriter::Submit(Request request) {
  std::future<Answer> f;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return {Status::Unavailable("server is shutting down"), {}};
    queue_.push_back(Pending{std::move(request), nullptr, {}});
    f = queue_.back().promise.get_future();
  }
  cv_.notify_one();
  return f.get();
}

Status IngestWriter::RunExclusive(std::function<Status()> task) {
  std::future<Answer> f;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status::Unavailable("server is shutting down");
    queue_.push_back(Pending{{}, std::move(task), {}});
    f = queue_.back().promise.get_future();
  }
  cv_.notify_one();
  return f.get().status;
}

size_t IngestWriter::queue_depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void IngestWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void IngestWriter::Loop() {
  using Clock = std::chrono::steady_clock;
  bool unresolved = false;  // events stored since the last resolve
  Clock::time_point last_resolve = Clock::now();
  auto resolve = [&] {
    std::unique_lock<std::shared_mutex> state(*state_mu_);
    ResolveReport report;
    Status s = engine_->Resolve(/*full=*/false, &report);
    last_resolve = Clock::now();
    if (!s.ok()) {
      log_("resolve failed: " + s.ToString());
      return;
    }
    unresolved = false;
    if (on_resolve_) on_resolve_();
    if (report.profiles_written > 0 || report.changed_nodes > 0) {
      log_("resolved: " + std::to_string(report.resolved_nodes) + " identifiers, " +
           std::to_string(report.profiles_written) + " profiles rebuilt");
    }
  };
  while (true) {
    std::deque<Pending> batch;
    bool stop = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto wake = unresolved ? last_resolve + resolve_interval_ : Clock::time_point::max();
      if (queue_.empty() && !stopping_) {
        if (unresolved) {
          cv_.wait_until(lock, wake, [&] { return !queue_.empty() || stopping_; });
        } else {
          cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
        }
      }
      batch.swap(queue_);
      stop = stopping_;
    }
    // Exclusive tasks run alone, in order; the messages of every other request
    // queued meanwhile go into one IngestMessages call.
    std::vector<MessageInput> all;
    std::vector<Pending*> requests;
    for (Pending& p : batch) {
      if (p.task) continue;
      requests.push_back(&p);
      all.insert(all.end(), p.request.messages.begin(), p.request.messages.end());
    }
    if (!requests.empty()) {
      std::vector<MessageOutcome> outcomes;
      Status s = engine_->IngestMessages(all, &outcomes);
      size_t at = 0;
      for (Pending* p : requests) {
        size_t n = p->request.messages.size();
        Answer a;
        a.status = s;
        if (s.ok()) {
          a.outcomes.assign(std::make_move_iterator(outcomes.begin() + static_cast<ptrdiff_t>(at)),
                            std::make_move_iterator(outcomes.begin() + static_cast<ptrdiff_t>(at + n)));
        }
        at += n;
        p->promise.set_value(std::move(a));
      }
      if (s.ok()) unresolved = true;
      if (!s.ok()) log_("ingest failed: " + s.ToString());
    }
    for (Pending& p : batch) {
      if (!p.task) continue;
      if (unresolved) resolve();
      Status s;
      {
        std::unique_lock<std::shared_mutex> state(*state_mu_);
        s = p.task();
      }
      p.promise.set_value(Answer{s, {}});
    }
    if (unresolved && (stop || Clock::now() - last_resolve >= resolve_interval_)) resolve();
    if (stop) {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) break;
    }
  }
}

}  // namespace holo::server
