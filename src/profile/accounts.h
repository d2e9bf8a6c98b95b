// Accounts (B2B): the companies a Segment `group` call names, and their members.
//
// A group call's traits hold the account it names (storage::kGroupProperty: the hex pseudonym
// of its groupId) and the account's traits (name, industry, employees, plan, website, ...).
// While the profile of a OneID is rebuilt, AccountAccumulator collects what the OneID's group
// calls say of each account (its membership evidence: first and last call, how many, and the
// latest value of each trait with its event time), and UpdateAccounts writes it to the
// `people` column family:
//   'a' account16 oneid8  -> the membership (AccountEvidence::Encode; keys::AccountMemberKey)
//   'b' oneid8 account16  -> ""   the accounts of a OneID, to remove what it no longer has
// An account is the union of its membership rows, read when asked (ReadAccount): its members
// are the OneIDs whose group calls named it, its traits the latest value of each over all of
// them by event time. Memberships are written with the profiles, so they follow identity
// merges and splits, event deletion, erasure and retention as the profiles do: a OneID whose
// profile goes (merged away, erased) takes its rows with it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "holo/result.h"
#include "storage/event_record.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::profile {

// Limits of an account's traits, as for client traits: keys of 1-64 of [A-Za-z0-9_],
// scalar values (string, number, bool), texts up to 256 bytes, at most 64 traits.
inline constexpr size_t kMaxAccountTraits = 64;
inline constexpr size_t kMaxAccountTraitText = 256;

// One trait value: its minified JSON (a string, number or bool) and event time.
struct AccountTraitValue {
  int64_t ts = 0;
  std::string json;
  // Whether this value wins over `other`: the later event time, then (a tie) the greater
  // JSON text, so that the result does not depend on the order events are read in.
  bool Beats(const AccountTraitValue& other) const {
    return ts != other.ts ? ts > other.ts : json > other.json;
  }
};

// What one OneID's group calls say of one account.
struct AccountEvidence {
  int64_t first_seen = 0;
  int64_t last_seen = 0;
  uint64_t calls = 0;
  std::map<std::string, AccountTraitValue, std::less<>> traits;

  std::string Encode() const;
  static bool Decode(std::string_view in, AccountEvidence* out);
  // Folds `other` (another member's evidence) into this one.
  void Merge(const AccountEvidence& other);
};

// The accounts of one OneID: account key -> evidence.
using AccountSet = std::map<storage::keys::Key16, AccountEvidence>;

class AccountAccumulator {
 public:
  // Adds one event; only group calls naming an account count.
  void Add(const storage::EventRecord& event);
  const AccountSet& accounts() const { return accounts_; }

 private:
  AccountSet accounts_;
};

// Replaces the stored memberships of `oneid` by `accounts` (empty: removes them). Reads the
// old ones from `store`; writes go to `batch`.
Status UpdateAccounts(const storage::Store& store, uint64_t oneid, const AccountSet& accounts,
                      storage::WriteBatch* batch);

// An account as read: its members' evidence merged.
struct Account {
  storage::keys::Key16 key{};
  std::vector<uint64_t> members;  // OneIDs, ascending
  AccountEvidence merged;         // first/last call and calls over all members; latest traits
};

// The account `key`, or nullopt when no profile is a member of it.
Result<std::optional<Account>> ReadAccount(const storage::Store& store, const storage::keys::Key16& key);

// The accounts after `after` (nullopt: from the first), in key order, at most `limit`;
// `*more` receives whether any follows.
Result<std::vector<Account>> ListAccounts(const storage::Store& store,
                                          const std::optional<storage::keys::Key16>& after, size_t limit,
                                          bool* more);

// The account keys `oneid` is a member of, ascending.
Result<std::vector<storage::keys::Key16>> AccountsOf(const storage::Store& store, uint64_t oneid);

}  // namespace holo::profile
