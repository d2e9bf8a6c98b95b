// ProfileBuilder: turns the events attributed to one OneID into its profile, the "Consumer 360".
// profile_store.h decides which events belong to which OneID and persists the result; this file
// only aggregates.
//
//   ProfileAccumulator acc(&computed_specs);      // or ProfileAccumulator acc;
//   for (const EventRecord& e : events) acc.Add(e, as_of_ms);   // any order
//   std::string json = acc.ToJson(oneid, identifiers, as_of_ms);
//
// The profile JSON has the keys oneid, identifiers, sources, events, first_seen, last_seen,
// traits (a flat object name -> number | string | bool | array of strings | null), trait_meta
// (name -> {"sources":[...],"events":N,"confidence":0..1}), completeness (0..1) and as_of.
// docs/traits.md defines every trait, its type, its confidence and the completeness families.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "profile/computed_trait.h"
#include "profile/trait_row.h"
#include "storage/event_record.h"

namespace holo::profile {

// Attribution priority of an identifier type (lower is stronger): the OneID of
// an event is the OneID of its strongest non-placeholder identifier.
int AttributionRank(std::string_view type);
// Returns the index in event.ids of the identifier the event is attributed to
// (lowest AttributionRank, first on ties, placeholders skipped), or -1.
int AttributionIndex(const storage::EventRecord& event);

// Accumulates the events of one OneID. Every trait is order-independent: events may arrive in
// any order, and what depends on the whole history is decided in ToJson. `as_of_ms` must be the
// same for every Add and for ToJson. Thread-compatible; movable.
class ProfileAccumulator {
 public:
  // `computed` (optional) are user-defined traits evaluated over the same events; they must
  // outlive the accumulator.
  explicit ProfileAccumulator(const std::vector<AggregateSpec>* computed = nullptr);
  // With the computed traits of `prototypes`, which must outlive the accumulator: a trait's
  // accumulator is made (Fresh: what is derived from its spec is shared) only when an event
  // it wants arrives, so a rebuild of every profile holds none for the traits a person has
  // no event of.
  explicit ProfileAccumulator(const std::vector<ComputedTraitAccumulator>& prototypes);
  ~ProfileAccumulator();
  ProfileAccumulator(ProfileAccumulator&&) noexcept;
  ProfileAccumulator& operator=(ProfileAccumulator&&) noexcept;

  // Adds one event. `as_of_ms` is the profile's reference time (windows, recency decay).
  void Add(const storage::EventRecord& event, int64_t as_of_ms);
  uint64_t events() const { return events_; }
  // Adds a day the person's device was seen in store `store_id` from imported sensor files
  // (holo stores import), its latest sighting at `ts_ms`: the store traits count it as they
  // count a Probe Seen of that store then (source "stores"); not an event.
  void AddStoreVisit(std::string_view store_id, int64_t ts_ms, int64_t as_of_ms);

  struct Identifier {
    std::string type;
    std::string pseudonym_hex;
  };
  // The purposes of the consent_<purpose> traits, in trait order.
  static const std::vector<std::string_view>& ConsentPurposes();
  // Sets the consent_<purpose> trait from the consent ledger (the one truth of consent,
  // which also holds decisions recorded outside events and the consent policy's defaults)
  // instead of the person's own Consent Given / Withdrawn events. Unknown purposes are ignored.
  void SetConsent(std::string_view purpose, bool given);

  // Returns the profile as a JSON object: the built-in traits. Computed traits are not in it:
  // they are stored apart, one column per trait (profile_store.h), and joined by readers.
  // `row` (may be null): receives the same traits typed, in the same order (trait_row.h).
  std::string ToJson(uint64_t oneid, const std::vector<Identifier>& identifiers,
                     int64_t as_of_ms, TraitRow* row = nullptr) const;
  // The accumulator of the i-th computed trait (in the order of `computed`), or null when no
  // event in its window has reached it (its value is the default).
  const ComputedTraitAccumulator* computed(size_t i) const;
  // The number of computed traits.
  size_t computed_size() const;

 private:
  struct State;
  uint64_t events_ = 0;
  std::unique_ptr<State> s_;
};

// Returns the spending-power tier 1..5 for a 90-day order spend in CNY (one of the signals of
// the spending_power trait).
// Great-circle distance in km between two WGS-84 points.
double DistanceKm(double lat1, double lon1, double lat2, double lon2);

int SpendingPowerTier(double spend_90d);

// The inputs of the spending_power score; a signal is absent when its count is 0.
struct SpendingSignals {
  double spend_90d = 0;       // Order Completed revenue, last 90 days
  uint64_t orders = 0;        // orders (all time)
  double monthly_salary = 0;  // median monthly employer inflow
  uint64_t salary_months = 0;
  double cabin_score = 0;  // mean over flights: economy 2.5, premium 4, business/first 5
  uint64_t flights = 0;
  double hotel_night_price = 0;  // median price per night
  uint64_t hotels = 0;
};
// Returns the spending-power tier 1..5, or 0 when no signal is present; `*weight` (optional)
// receives the total evidence weight. docs/traits.md gives the formula.
int SpendingPowerScore(const SpendingSignals& s, double* weight = nullptr);

// Returns the canonical English name of a Chinese city written in English or Chinese, with or
// without a "City"/"市" suffix, in any case ("上海市", "shanghai", "Shanghai City" -> "Shanghai");
// unknown names come back trimmed, without the suffix. Empty for an empty name.
std::string NormalizeCity(std::string_view name);

// Client traits: every scalar trait of an identify (string, number, bool) beyond the built-in
// ones, under "traits.<key>" (key: 1-64 of [A-Za-z0-9_]), the latest value by event time, at
// most 64 per profile, texts up to 256 bytes. PII traits never reach them: ingestion drops them
// (ingest/README.md). docs/traits.md, "Client traits".
inline constexpr std::string_view kClientTraitPrefix = "traits.";

// Names of the built-in traits; a computed trait with one of these names is not written.
const std::vector<std::string_view>& BuiltinTraitNames();

}  // namespace holo::profile
