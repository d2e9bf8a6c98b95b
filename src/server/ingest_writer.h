// IngestWriter: the one thread that writes to the engine while the server runs.
//
// HTTP handlers Submit() the messages of a request and wait; the writer takes
// every request queued meanwhile, writes them with one Engine::WritePrepared
// call (one atomic write) and hands them to a syncer thread, which makes every
// write handed so far durable with one WAL fsync (group commit) and answers each
// request with its messages' outcomes. A second thread resolves the new
// events into OneIDs and profiles beside the writes (Engine::Resolve), at
// most every `resolve_interval` (or four times the last resolve's duration,
// whichever is longer, so resolution takes at most about a fifth of a core). The
// server holds no lock over engine state: the engine serializes its own changes and
// keeps its audience state consistent for the readers.
//
// Stop() refuses new requests, answers every queued one and joins the threads:
// nothing acknowledged is lost. Events not yet resolved stay marked in the store
// and are resolved when the server next starts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "holo/engine.h"

namespace holo::server {

class IngestWriter {
 public:
  struct Request {
    PreparedMessages prepared;  // Engine::PrepareMessages, on the caller's thread
  };
  struct Answer {
    Status status;                         // not OK: nothing of the request is stored
    std::vector<MessageOutcome> outcomes;  // one per message, when status is OK
  };

  // `log` receives one-line notes (resolve runs, errors).
  IngestWriter(Engine* engine, std::chrono::milliseconds resolve_interval,
               std::function<void(const std::string&)> log, std::function<void()> on_resolve);
  ~IngestWriter();
  IngestWriter(const IngestWriter&) = delete;
  IngestWriter& operator=(const IngestWriter&) = delete;

  void Start();
  // Returns the answer once the request's messages are durable (or refused:
  // kUnavailable after Stop()).
  Answer Submit(Request request);
  // Runs `task` on the writer thread (exclusive with ingestion and resolution)
  // and returns its status: for changes of the engine (segment definitions).
  Status RunExclusive(std::function<Status()> task);
  void Stop();
  size_t queue_depth() const;

 private:
  struct Pending {
    Request request;
    std::function<Status()> task;  // set for RunExclusive
    std::promise<Answer> promise;
  };
  // Requests written but not yet durable, for the syncer thread.
  struct Unsynced {
    std::vector<std::promise<Answer>> promises;
    std::vector<std::vector<MessageOutcome>> outcomes;
  };
  void Loop();
  void SyncLoop();
  void ResolveLoop();

  Engine* engine_;
  std::chrono::milliseconds resolve_interval_;
  std::function<void(const std::string&)> log_;
  std::function<void()> on_resolve_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
  // The writer hands each write to the syncer, which makes every write handed so
  // far durable with one WAL sync and then answers their requests, while the
  // writer goes on with the next write (the sync no longer holds up the writes).
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<Unsynced> unsynced_;
  bool writes_done_ = false;  // the writer has handed over its last write
  std::thread syncer_;
  // Resolution runs on its own thread, beside ingestion (Engine allows
  // Resolve beside WritePrepared).
  std::condition_variable resolve_cv_;
  bool unresolved_ = true;    // events stored since the last resolve began (at start: what an earlier run left)
  bool writer_done_ = false;  // the writer thread has ended: the resolver stops too
  std::thread resolver_;
};

}  // namespace holo::server
