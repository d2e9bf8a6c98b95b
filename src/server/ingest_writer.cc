#include "server/ingest_writer.h"

namespace holo::server {

IngestWriter::IngestWriter(Engine* engine, std::chrono::milliseconds resolve_interval,
                           std::function<void(const std::string&)> log, std::function<void()> on_resolve)
    : engine_(engine),
      resolve_interval_(resolve_interval),
      log_(std::move(log)),
      on_resolve_(std::move(on_resolve)) {}

IngestWriter::~IngestWriter() { Stop(); }

void IngestWriter::Start() {
  thread_ = std::thread([this] { Loop(); });
  syncer_ = std::thread([this] { SyncLoop(); });
  resolver_ = std::thread([this] { ResolveLoop(); });
}

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
    if (stopping_ && !thread_.joinable() && !syncer_.joinable() && !resolver_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (syncer_.joinable()) syncer_.join();
  if (resolver_.joinable()) resolver_.join();
}

void IngestWriter::ResolveLoop() {
  using Clock = std::chrono::steady_clock;
  // The wait between resolves: at least the interval, and at least four times
  // the last resolve's duration, so that under a heavy stream resolution takes
  // at most about a fifth of a core (profiles then lag by more than the interval).
  Clock::duration gap = resolve_interval_;
  Clock::time_point last = Clock::now() - gap;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      resolve_cv_.wait(lock, [&] { return unresolved_ || writer_done_; });
      // At shutdown the pending work stays marked in the store (durable) and
      // the next start resolves it: stopping does not wait for a long resolve.
      if (writer_done_) return;
      resolve_cv_.wait_until(lock, last + gap, [&] { return writer_done_; });
      if (writer_done_) return;
      unresolved_ = false;  // events stored from here on call for another resolve
    }
    // Runs beside ingestion and the serving reads: the engine holds its audience state
    // exclusively only while it applies the rebuilt rows, and its change lock keeps
    // exclusive tasks (segment and trait definitions, erasures) out meanwhile.
    ResolveReport report;
    Clock::time_point start = Clock::now();
    Status s = engine_->Resolve(/*full=*/false, &report);
    last = Clock::now();
    gap = std::max<Clock::duration>(resolve_interval_, 4 * (last - start));
    if (!s.ok()) {
      // A full disk fails every resolve until space is freed: retry every few seconds,
      // not every interval.
      gap = std::max<Clock::duration>(gap, std::chrono::seconds(5));
      log_("resolve failed: " + s.ToString());
      std::lock_guard<std::mutex> lock(mu_);
      unresolved_ = true;
      continue;
    }
    if (on_resolve_) on_resolve_();
    if (report.profiles_written > 0 || report.changed_nodes > 0) {
      log_("resolved: " + std::to_string(report.resolved_nodes) + " identifiers, " +
           std::to_string(report.profiles_written) + " profiles rebuilt in " +
           std::to_string(std::chrono::duration<double>(last - start).count()) + " s (graph " +
           std::to_string(report.resolve_seconds) + " s, profiles " + std::to_string(report.profile_seconds) +
           " s, the rest audience)");
    }
  }
}

void IngestWriter::Loop() {
  while (true) {
    std::deque<Pending> batch;
    bool stop = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      batch.swap(queue_);
      stop = stopping_;
    }
    // Exclusive tasks run alone, in order; the messages of every other request
    // queued meanwhile go into one write (group commit).
    std::vector<PreparedMessages*> all;
    std::vector<Pending*> requests;
    for (Pending& p : batch) {
      if (p.task) continue;
      requests.push_back(&p);
      all.push_back(&p.request.prepared);
    }
    if (!requests.empty()) {
      Unsynced written;
      Status s = engine_->WritePrepared(all, &written.outcomes);
      if (s.ok()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          unresolved_ = true;
        }
        for (Pending* p : requests) written.promises.push_back(std::move(p->promise));
        {
          std::lock_guard<std::mutex> lock(sync_mu_);
          unsynced_.push_back(std::move(written));
        }
        sync_cv_.notify_one();
      } else {
        for (Pending* p : requests) p->promise.set_value(Answer{s, {}});
        log_("ingest failed: " + s.ToString());
      }
      resolve_cv_.notify_one();
    }
    for (Pending& p : batch) {
      if (!p.task) continue;
      Status s;
      s = p.task();
      p.promise.set_value(Answer{s, {}});
    }
    if (stop) {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    writes_done_ = true;
  }
  sync_cv_.notify_one();
  {
    std::lock_guard<std::mutex> lock(mu_);
    writer_done_ = true;  // the resolver ends (unresolved work waits for the next start)
  }
  resolve_cv_.notify_one();
}

void IngestWriter::SyncLoop() {
  while (true) {
    std::vector<Unsynced> written;
    bool done = false;
    {
      std::unique_lock<std::mutex> lock(sync_mu_);
      sync_cv_.wait(lock, [&] { return !unsynced_.empty() || writes_done_; });
      written.swap(unsynced_);
      done = writes_done_;
    }
    if (!written.empty()) {
      // A failed sync answers an error: the client retries, and the messages that did
      // reach the store are then recognized as duplicates.
      Status s = engine_->SyncWrites();
      if (!s.ok()) log_("ingest failed: " + s.ToString());
      for (Unsynced& w : written) {
        for (size_t i = 0; i < w.promises.size(); ++i) {
          Answer a;
          a.status = s;
          if (s.ok()) a.outcomes = std::move(w.outcomes[i]);
          w.promises[i].set_value(std::move(a));
        }
      }
    }
    if (done && written.empty()) return;
  }
}

}  // namespace holo::server
