// The people graph: typed ties between OneIDs (household, family, friend), kept
// apart from the identity graph. Identity says "these identifiers are one
// person"; the people graph says "these two people live together / share a
// family card / play together".
//
// Evidence comes from the events of each OneID (LinkAccumulator), collected while
// its profile is rebuilt, and is indexed in the `people` column family:
//   'l' oneid8                    -> the OneID's links (LinkSet::Encode)
//   'k' kind1 value \0 oneid8     -> count   shared-value index: 'H' address_key, 'T' team_id
//   'r' ref_hex \0 oneid8         -> kind1 + count   references to another person's identifier:
//                                    'F' family-card owner, 'I' minigame inviter
// Ties are computed when asked (PeopleOf), so identity merges and splits are
// reflected without rewriting the index: a reference names an identifier, and
// the identifier's OneID is looked up at query time.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "holo/result.h"
#include "storage/event_record.h"
#include "storage/store.h"

namespace holo::profile {

// What one OneID's events say about its ties: kind -> value -> count.
struct LinkSet {
  // kind: 'H' household address key, 'T' team id, 'F' family-card owner ref, 'I' inviter ref.
  std::map<char, std::map<std::string, uint32_t>> values;

  bool empty() const { return values.empty(); }
  std::string Encode() const;
  static bool Decode(std::string_view in, LinkSet* out);
};

class LinkAccumulator {
 public:
  void Add(const storage::EventRecord& event);
  const LinkSet& links() const { return links_; }

 private:
  LinkSet links_;
};

// Replaces the stored links of `oneid` by `links` (empty: removes them), keeping the
// reverse indexes in step. Reads the old links from `store`; writes go to `batch`.
Status UpdateLinks(const storage::Store& store, uint64_t oneid, const LinkSet& links,
                   storage::WriteBatch* batch);

struct Tie {
  enum class Kind { kHousehold, kFamily, kFriend };
  Kind kind;
  uint64_t other = 0;      // OneID
  uint32_t interactions = 0;  // shared deliveries, card payments, invites + shared teams
  double strength = 0;     // 1 - exp(-interactions / 3): 0.28 for one, 0.81 for five
  std::vector<std::string> evidence;  // e.g. "shared delivery address (4 orders)"
};
const char* TieKindName(Tie::Kind kind);

struct PeopleOptions {
  // A shared value seen with more OneIDs than this is an office, a shop or a public
  // team, not a household or a circle of friends: it gives no ties.
  uint32_t max_household = 8;
  uint32_t max_team = 20;
};

// The ties of `oneid`, strongest first.
Result<std::vector<Tie>> PeopleOf(const storage::Store& store, uint64_t oneid,
                                  const PeopleOptions& options = PeopleOptions());

// Household size of `oneid`: 1 + its household ties (1 when it has none).
Result<uint32_t> HouseholdSize(const storage::Store& store, uint64_t oneid,
                               const PeopleOptions& options = PeopleOptions());

// Household size of every OneID that has household ties (others: 1), from one scan of
// the shared-address index; equal to HouseholdSize() for each.
Result<std::unordered_map<uint64_t, uint32_t>> AllHouseholdSizes(const storage::Store& store,
                                                                  const PeopleOptions& options = PeopleOptions());

}  // namespace holo::profile
