// File: holo/destinations.h — activation destinations (docs/destinations.md).
//
// A destination is a webhook or a file. For each segment it syncs, Holo sends
// "Audience Entered" / "Audience Exited" per member as membership changes (Segment
// Engage's semantics), in batches, signed with HMAC-SHA256, retried with exponential
// backoff and dead-lettered after a limit; at least once, each event with a stable
// idempotency key (messageId), and only for members whose consent allows the
// destination's use.
//
//   holo::DestinationConfig d;
//   d.name = "crm"; d.kind = "webhook"; d.url = "http://127.0.0.1:9000/hook";
//   d.segments = {"vip"};
//   auto secret = engine->destinations().AddDestination(d);
//   auto report = engine->destinations().SyncDestinations("crm");  // one pass, JSON
//
// Handed out by Engine::destinations(). Thread-safe: syncs and changes run one at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "holo/status.h"

namespace holo {

struct DestinationConfig {
  // 1-64 characters of [A-Za-z0-9_.-]. Required.
  std::string name;
  // "webhook" or "file". Required.
  std::string kind;
  // The webhook's URL (http:// or https://host[:port]/path); kind "webhook" only.
  std::string url;
  // The file events are appended to, one JSON object per line; kind "file" only.
  std::string path;
  // Saved segments synced (at least one; each must exist).
  std::vector<std::string> segments;
  // The consent use a member must allow to be sent (docs/privacy.md). Default: "activation".
  std::string use = "activation";
  // The HMAC-SHA256 key of X-Holo-Signature. Empty: 32 random bytes, hex, made at add.
  std::string secret;
  // Events per batch. Default: 100.
  uint32_t batch_size = 100;
  // Attempts of one batch before it is dead-lettered. Default: 8.
  uint32_t retry_limit = 8;
  // Attempts of one batch within one sync pass; the rest wait for the next pass. Default: 3.
  uint32_t attempts_per_sync = 3;
  // Backoff before attempt n+1: min(backoff_base_ms * 2^(n-1), backoff_cap_ms). Defaults: 500, 30000.
  uint32_t backoff_base_ms = 500;
  uint32_t backoff_cap_ms = 30000;
  // A webhook request's connect/read/write timeout. Default: 10000.
  uint32_t timeout_ms = 10000;
  // `holo serve` runs a sync pass of this destination every sync_interval_s seconds (from
  // the end of its last pass, manual or scheduled); 0: only when asked. Default: 60.
  uint32_t sync_interval_s = 60;
};

class DestinationService {
 public:
  virtual ~DestinationService() = default;

  // Adds (or replaces, keeping its sync state) a destination; returns its secret.
  // kInvalidArgument for a bad config, kNotFound for an unknown segment or use.
  virtual Result<std::string> AddDestination(const DestinationConfig& config) = 0;

  // {"destinations": [{name, kind, url|path, segments, use, batch_size, retry_limit, ...}]}
  // (never the secret).
  virtual Result<std::string> ListDestinationsJson() = 0;

  // One sync pass of `name` (empty: every destination): for each segment, the pending
  // batch first (a batch not yet acknowledged, resent as it was), then new batches until
  // the membership is synced or a batch keeps failing. Returns a JSON report
  // {"destinations": [{name, segments: [{segment, sent, entered, exited, retries, failures,
  // dead_lettered, pending, lag, error}]}]}. kNotFound for an unknown name.
  virtual Result<std::string> SyncDestinations(std::string_view name) = 0;

  // Status of `name` (empty: every destination), JSON: per segment the lag (members whose
  // change is not yet acknowledged), the last success, totals of events sent, retries,
  // failures, events dead-lettered, the pending batch and the last error.
  virtual Result<std::string> DestinationStatusJson(std::string_view name) = 0;

  // Prometheus text of the destinations' counters and lag gauge (the server's /metrics).
  virtual Result<std::string> DestinationMetricsText() = 0;

  // Removes `name`: its configuration and its sync state (a batch still pending is not
  // sent). Its dead-letter file stays. Returns {"name","dropped":true,"pending_events",
  // "dead_letter_file"}. kNotFound for an unknown name.
  virtual Result<std::string> DropDestination(std::string_view name) = 0;

  // The destinations whose scheduled pass is due: sync_interval_s > 0 and no pass of it
  // ended in this process within the last sync_interval_s seconds. For the server's loop.
  virtual Result<std::vector<std::string>> DueDestinations() = 0;

  // While set, a pass in flight stops before its next attempt or backoff wait (its batch
  // stays pending, resent first by the next pass) and new passes return at once, each
  // segment reported pending. For a clean shutdown; cleared to sync again.
  virtual void SetInterrupted(bool interrupted) = 0;
};

}  // namespace holo
