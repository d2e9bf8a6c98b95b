// ProfileBuilder: turns the events attributed to one OneID into its profile.
// profile_store.h decides which events belong to which OneID and persists the
// result; this file only aggregates.
//
// Traits (docs/traits.md defines each):
//   order_count, total_spend, spend_90d   Order Completed revenue (CNY); 90 days before as_of
//   top_categories, top_brands            weighted: order 3, cart/wishlist 2, view/search 1
//   spending_power                        1..5 from spend_90d (thresholds in docs/traits.md)
//   city                                  most frequent shipping_address.city
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "storage/event_record.h"

namespace holo::profile {

// Attribution priority of an identifier type (lower is stronger): the OneID of
// an event is the OneID of its strongest non-placeholder identifier.
int AttributionRank(std::string_view type);
// Returns the index in event.ids of the identifier the event is attributed to
// (lowest AttributionRank, first on ties, placeholders skipped), or -1.
int AttributionIndex(const storage::EventRecord& event);

class ProfileAccumulator {
 public:
  // Adds one event. `as_of_ms` bounds the 90-day window.
  void Add(const storage::EventRecord& event, int64_t as_of_ms);
  uint64_t events() const { return events_; }

  struct Identifier {
    std::string type;
    std::string pseudonym_hex;
  };
  // Returns the profile as a JSON object.
  std::string ToJson(uint64_t oneid, const std::vector<Identifier>& identifiers, int64_t as_of_ms) const;

 private:
  uint64_t events_ = 0;
  int64_t first_seen_ = 0;
  int64_t last_seen_ = 0;
  std::set<std::string> sources_;
  uint64_t order_count_ = 0;
  double total_spend_ = 0;
  double spend_90d_ = 0;
  std::map<std::string, double> categories_;
  std::map<std::string, double> brands_;
  std::map<std::string, uint32_t> cities_;
};

// Returns the spending-power tier 1..5 for a 90-day spend in CNY.
int SpendingPowerTier(double spend_90d);

}  // namespace holo::profile
