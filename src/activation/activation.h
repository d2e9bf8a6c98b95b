// Activation: the destinations service (include/holo/destinations.h,
// docs/destinations.md). It owns each destination's configuration and, per
// (destination, segment), the membership last acknowledged by the receiver, the batch
// in flight and the counters; it computes who entered and who exited, sends the
// changes in signed batches, retries, dead-letters, and advances only on an
// acknowledgement.
//
//   activation::Hooks hooks;
//   hooks.allowed_members = [&](std::string_view seg, std::string_view use) { ... };
//   activation::Activation destinations(store, data_dir, std::move(hooks));
//   HOLO_ASSIGN_OR_RETURN(std::string report, destinations.SyncDestinations("crm"));
//
// Stored state (meta column family, storage/keys.h, docs/storage_format.md):
//   dst/c/ name                -> configuration
//   dst/s/ name \0 segment     -> sync state: the acknowledged membership, the next batch
//                                 sequence, counters, and the pending batch (if any)
// The pending batch is written before its first send and cleared, with the membership
// advanced, in one write after the 2xx: a restart resends exactly it (same body, same
// messageIds), so delivery is at least once without gaps.
//
// May depend on: storage, common (and libsodium, cpp-httplib, roaring). Knows nothing of
// the engine: segments and consent come through Hooks.
//
// Thread safety: every method may be called from any thread; syncs and changes are
// serialized by mu_ (a sync holds it while it sends and waits between retries).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <roaring/roaring.hh>

#include "common/thread_annotations.h"
#include "holo/destinations.h"
#include "holo/result.h"

namespace holo::storage {
class Store;
}  // namespace holo::storage

namespace holo::activation {

// What the engine lends the service.
struct Hooks {
  // The current members of `segment` who may be sent for `use` (consent and the engine's
  // other rules applied); kNotFound for an unknown segment or use.
  std::function<Result<Roaring>(std::string_view segment, std::string_view use)> allowed_members;
  // The clock (ms since the epoch).
  std::function<int64_t()> now_ms;
  // Waits between attempts; default: std::this_thread::sleep_for.
  std::function<void(uint32_t ms)> sleep_ms;
};

// Delivers one batch body. OK only when it was acknowledged (a 2xx, or the file written
// and synced); kUnavailable naming the reason otherwise.
class Sender {
 public:
  virtual ~Sender() = default;
  virtual Status Send(const DestinationConfig& d, std::string_view batch_id, std::string_view body) = 0;
};
// Webhooks over HTTP(S) (cpp-httplib), files by append + fsync.
std::unique_ptr<Sender> NewSender();

// The signature header value of `body` under `secret`: "sha256=" + hex HMAC-SHA256.
std::string Signature(std::string_view secret, std::string_view body);

class Activation final : public DestinationService {
 public:
  // `data_dir`: dead letters go to data_dir/destinations/<name>.dead_letter.jsonl.
  Activation(storage::Store* store, std::string data_dir, Hooks hooks,
             std::unique_ptr<Sender> sender = NewSender());
  ~Activation() override;
  Activation(const Activation&) = delete;
  Activation& operator=(const Activation&) = delete;

  Result<std::string> AddDestination(const DestinationConfig& config) override EXCLUDES(mu_);
  Result<std::string> ListDestinationsJson() override EXCLUDES(mu_);
  Result<std::string> SyncDestinations(std::string_view name) override EXCLUDES(mu_);
  Result<std::string> DestinationStatusJson(std::string_view name) override EXCLUDES(mu_);
  Result<std::string> DestinationMetricsText() override EXCLUDES(mu_);
  Result<std::string> DropDestination(std::string_view name) override EXCLUDES(mu_);
  Result<std::vector<std::string>> DueDestinations() override EXCLUDES(mu_);
  void SetInterrupted(bool interrupted) override;

  // The dead-letter file of destination `name`.
  std::string DeadLetterPath(std::string_view name) const;

  struct SegmentState;  // activation.cc

 private:
  struct Pass;
  Result<std::vector<DestinationConfig>> Configs(std::string_view name) const;
  Status SyncSegment(const DestinationConfig& d, const std::string& segment, Pass* pass) REQUIRES(mu_);
  Status DeadLetter(const DestinationConfig& d, const std::string& segment, uint64_t seq, uint32_t attempts,
                    const std::string& error, const std::string& body) REQUIRES(mu_);
  // Waits `ms` before a retry; false when interrupted meanwhile (SetInterrupted).
  bool BackoffWait(uint32_t ms);

  storage::Store* const store_;
  const std::string data_dir_;
  const Hooks hooks_;
  std::unique_ptr<Sender> sender_;
  Mutex mu_;
  // When each destination's last pass ended (steady clock; this process only).
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> last_pass_ GUARDED_BY(mu_);
  // SetInterrupted: read by a pass between attempts; the wait wakes on a change.
  std::atomic<bool> interrupted_{false};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
};

}  // namespace holo::activation
