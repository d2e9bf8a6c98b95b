// File: holo/server.h — `holo serve`: the HTTP server over an Engine.
//
//   holo::ServerOptions options;
//   options.port = 8080;
//   auto server = holo::Server::Start(engine.get(), options);   // listening on return
//   ... (*server)->Shutdown();                                   // from another thread
//   (*server)->Wait();
//
// Endpoints, credentials and roles: docs/http_api.md (docs/openapi.yaml).
// Writes to the engine (ingestion, resolution, segment definitions) run on one
// writer thread with group commit; reads run on the HTTP threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "holo/engine.h"
#include "holo/result.h"

namespace holo {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see Server::port())
  // The data directory the engine was opened on (dead letters; the audit log in it is the
  // engine's, Engine::audit()).
  std::string data_dir = "./holo-data";
  // Event-loop threads (they read requests and answer quick ones in place).
  int event_loops = 2;
  // Worker threads for requests that may wait (ingestion, scans, definitions).
  size_t threads = 64;
  // Segment's limits: one message, and one request after decompression.
  size_t max_message_bytes = 32 * 1024;
  size_t max_request_bytes = 500 * 1024;
  // Events per second each source may send (token bucket with one second of
  // burst); 0 = unlimited.
  double rate_limit_eps = 0;
  // How soon after new events they are resolved into OneIDs and profiles.
  int resolve_interval_ms = 1000;
  // Minimum group size of any count an analyst sees (never below 10).
  uint32_t k = 50;
  // Each analyst's privacy budget: total epsilon per period, shared by every token of the
  // same name (docs/privacy.md). Every answer an analyst gets is noised and paid from it.
  double privacy_budget = 5;
  // The budget's period in days (periods start at 00:00 UTC).
  uint32_t privacy_period_days = 1;
  // Log every request (JSON on stderr); errors and slow requests are always logged.
  bool access_log = false;
  // Run each destination's sync pass every its sync_interval_s (docs/destinations.md).
  bool sync_destinations = true;
};

class Server {
 public:
  // Warms the engine's in-memory state, binds and starts serving. REQUIRES:
  // `engine` outlives the server and nothing else uses it meanwhile.
  static Result<std::unique_ptr<Server>> Start(Engine* engine, const ServerOptions& options);
  virtual ~Server() = default;

  virtual int port() const = 0;
  // Stops accepting, finishes or refuses (503) requests in flight, writes and
  // syncs everything acknowledged. Events not resolved yet stay marked in the
  // store and are resolved at the next start. Thread-safe, idempotent.
  virtual void Shutdown() = 0;
  // Blocks until the server has shut down.
  virtual void Wait() = 0;
};

}  // namespace holo
