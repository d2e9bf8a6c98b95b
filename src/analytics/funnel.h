// funnel: AIPL brand funnels (Awareness, Interest, Purchase, Loyalty) over the OneIDs of a
// store, as of a date, and the flows between two dates. docs/aipl.md states the rules.
//
//   FunnelOptions options;
//   options.brand = "Nike";
//   HOLO_ASSIGN_OR_RETURN(options.at_ms, ParseAsOf("2026-10-31"));
//   HOLO_ASSIGN_OR_RETURN(int64_t from, ParseAsOf("2026-09-30"));
//   options.from_ms = from;
//   HOLO_ASSIGN_OR_RETURN(FunnelReport report, ComputeFunnel(store, options));
//   std::cout << report.ToText(/*min_group=*/10);
//
// One pass over the events (event_scan.h) classifies every OneID at both dates; memory is a
// few dozen bytes per OneID. Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "holo/result.h"
#include "storage/event_record.h"
#include "storage/store.h"

namespace holo::analytics {

inline constexpr int64_t kDayMs = 86'400'000;

// Funnel stages, lowest first. A OneID is in the highest stage it qualifies for.
enum class Stage : uint8_t { kNone = 0, kAwareness = 1, kInterest = 2, kPurchase = 3, kLoyalty = 4 };
inline constexpr int kNumStages = 5;
// Returns "none", "awareness", "interest", "purchase" or "loyalty".
std::string_view StageName(Stage stage);
inline Stage StageAt(int i) { return static_cast<Stage>(i); }
// flows[i][j]: OneIDs in stage i at the earlier date and stage j at the later one.
using FlowMatrix = std::array<std::array<uint64_t, kNumStages>, kNumStages>;

// How far back each stage's signals count, ending at the as-of instant.
struct FunnelWindows {
  int64_t awareness_ms = 30 * kDayMs;  // Default: 30 days.
  int64_t interest_ms = 30 * kDayMs;   // Default: 30 days.
  int64_t purchase_ms = 90 * kDayMs;   // Default: 90 days.
  int64_t loyalty_ms = 180 * kDayMs;   // Default: 180 days.
};

// What one event says about a brand.
struct BrandSignals {
  bool awareness = false;  // Promotion Viewed of the brand
  bool interest = false;   // promotion click, search naming it, view/cart/wishlist/review
  bool purchase = false;   // Order Completed with a product of the brand
  bool review = false;     // Product Reviewed of the brand
  bool store_visit = false;  // Probe Seen / Beacon Seen in one of the brand's stores (interest)
  bool any() const { return awareness || interest || purchase || review || store_visit; }
};

// Classifies events for one brand (and optionally one category; empty = any). Brand and
// category match exactly; a search matches when its query contains the brand name (ASCII
// case-insensitive) and, with a category, its category is that category. Promotions carry no
// category, so they match on the brand alone.
class BrandMatcher {
 public:
  // `stores`: the store_ids of the brand; a sighting in one is an interest signal.
  BrandMatcher(std::string brand, std::string category, std::vector<std::string> stores = {});
  // Returns the signals of `event`; parses the properties only of event types that can carry
  // one. Thread-safe (one parser per thread).
  BrandSignals Classify(const storage::EventRecord& event) const;
  const std::string& brand() const { return brand_; }
  const std::string& category() const { return category_; }

 private:
  std::string brand_;
  std::string brand_lower_;
  std::string category_;
  std::vector<std::string> stores_;  // sorted
  bool brand_is_plain_;  // no JSON escapes: the raw properties text contains it verbatim
};

// The stage of one OneID as of one instant `as_of_ms` (exclusive), built from its events in any
// order: a signal at ts counts for a stage when as_of - window <= ts < as_of.
class StageAccumulator {
 public:
  void Add(const BrandSignals& signals, int64_t ts, int64_t as_of_ms, const FunnelWindows& w);
  // Records that the OneID has an event at `ts` (of any kind): it exists as of `as_of_ms`
  // when some event is before it.
  void See(int64_t ts, int64_t as_of_ms) { exists_ = exists_ || ts < as_of_ms; }
  bool exists() const { return exists_; }
  Stage stage() const;

 private:
  uint8_t loyalty_orders_ = 0;  // orders in the loyalty window, saturating at 2
  bool loyalty_review_ = false;
  bool purchase_ = false;
  bool interest_ = false;
  bool awareness_ = false;
  bool exists_ = false;
};

struct FunnelOptions {
  // The brand, as in event properties ("Nike"). Required.
  std::string brand;
  // Restricts product signals to this category ("sports"). Default: empty (any).
  std::string category;
  // As-of instant, exclusive (ms since the epoch); see ParseAsOf. Required.
  int64_t at_ms = 0;
  // An earlier as-of instant for flows; REQUIRES from_ms < at_ms. Default: none.
  std::optional<int64_t> from_ms;
  FunnelWindows windows;
  // The brand's stores (store_ids): a Probe Seen or Beacon Seen in one is an Interest
  // touch-point, counted only for the OneIDs `store_link_allowed` accepts (location consent;
  // required when `stores` is not empty). Default: none.
  std::vector<std::string> stores;
  std::function<Result<bool>(uint64_t oneid)> store_link_allowed;
  // Visits to `stores` imported from sensor files (not events): calls its argument with the
  // OneID and time of each visit day of a device tied to a person. May be empty.
  using VisitSink = std::function<void(uint64_t oneid, int64_t ts_ms)>;
  std::function<Status(const VisitSink&)> imported_store_visits;
};

struct FunnelReport {
  std::string brand;
  std::string category;
  int64_t at_ms = 0;
  std::optional<int64_t> from_ms;
  FunnelWindows windows;
  // OneIDs with at least one event before `at` (the population), by stage at `at`.
  std::array<uint64_t, kNumStages> at_sizes{};
  // The same OneIDs by stage at `from` (those with no event before `from` count as none).
  // Zero without from_ms.
  std::array<uint64_t, kNumStages> from_sizes{};
  // flows[i][j]: OneIDs in stage i at `from` and stage j at `at`. Zero without from_ms.
  FlowMatrix flows{};
  // The OneIDs of each stage at `at`, sorted ascending (Roaring::addMany-ready).
  std::array<std::vector<uint32_t>, kNumStages> members;
  // With from_ms: the OneIDs of each stage at `from`, and of each flow cell, sorted ascending
  // (what the engine's release point checks each released cell against).
  std::array<std::vector<uint32_t>, kNumStages> from_members;
  std::array<std::array<std::vector<uint32_t>, kNumStages>, kNumStages> flow_members;
  uint64_t events_scanned = 0;
  // With stores: the OneIDs a store visit raised to a higher stage at `at`, and those whose
  // store visits were left out for want of location consent.
  std::vector<std::string> stores;
  uint64_t raised_by_store_visits = 0;
  uint64_t store_visits_withheld = 0;

  uint64_t population() const;
  // JSON object; counts in [1, min_group) are written as the string "<min_group>".
  std::string ToJson(uint32_t min_group) const;
  // A table for people, with the same suppression.
  std::string ToText(uint32_t min_group) const;
};

// Classifies every OneID of `store`. kInvalidArgument for an empty brand or from >= at;
// kOutOfRange if a OneID does not fit 32 bits.
Result<FunnelReport> ComputeFunnel(const storage::Store& store, const FunnelOptions& options);

// Parses an as-of argument: "YYYY-MM-DD" means the end of that day (UTC), i.e. the next
// midnight, exclusive; an ISO-8601 date-time (time_util.h) is taken as is.
Result<int64_t> ParseAsOf(std::string_view text);

// Returns `n` as text, or "<k" when 0 < n < k (small cells are not shown to people).
std::string FormatCount(uint64_t n, uint32_t min_group);

}  // namespace holo::analytics
