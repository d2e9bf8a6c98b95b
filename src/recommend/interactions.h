// Interactions: who did what with which item, when — the input of every recommender.
//
//   InteractionLog log;
//   HOLO_ASSIGN_OR_RETURN(ReadReport r, ReadInteractionFile("u.data", &log, on_bad));
//   Dataset all = Dataset::From(log);
//   Split s = LeaveLastOut(all);          // each user's latest item held out
//
// A file has one interaction per line: user, item, an optional weight and a Unix time,
// separated by tabs or commas (MovieLens's u.data as it is; a first line that does not parse
// as one is taken for a header). Tianchi's UserBehavior lines (user, item, category, pv | fav |
// cart | buy, time) are read too: their kind is kept, and weighs 1, 2, 3, 4. A bad line is reported with its number and reason and
// skipped; the lines beside it are read.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "holo/result.h"

namespace holo::recommend {

// What a user did with an item, when the input says (UserBehavior); else kAny.
enum class Kind : uint8_t { kAny = 0, kView = 1, kFavourite = 2, kCart = 3, kBuy = 4 };

struct Interaction {
  std::string user, item;
  float weight = 1;
  int64_t ts = 0;  // seconds
  Kind kind = Kind::kAny;
};

using InteractionLog = std::vector<Interaction>;

struct ReadReport {
  uint64_t lines = 0, read = 0, bad = 0;
  bool header = false;
};

// (line number, reason, the line)
using BadLine = std::function<void(uint64_t, std::string_view, std::string_view)>;

// Appends the file's interactions to `log`. kNotFound / kIOError for an unreadable file,
// kInvalidArgument for a file with no interaction at all.
Result<ReadReport> ReadInteractionFile(const std::string& path, InteractionLog* log, const BadLine& bad);

// Users and items indexed 0..n-1; each user's interactions in time order (ties: file order).
struct Dataset {
  struct Event {
    uint32_t item = 0;
    float weight = 1;
    int64_t ts = 0;
    Kind kind = Kind::kAny;
  };
  std::vector<std::string> users, items;
  std::unordered_map<std::string, uint32_t> user_index, item_index;
  std::vector<std::vector<Event>> by_user;

  static Dataset From(const InteractionLog& log);
  size_t num_users() const { return users.size(); }
  size_t num_items() const { return items.size(); }
  uint64_t num_interactions() const;
  // A dataset over the same users and items with each user's events cut to `keep(u)`.
  Dataset Truncated(const std::function<size_t(uint32_t user)>& keep) const;
};

// Leave-last-out by time: each user with at least 2 interactions has their latest one held
// out (`held[u]`, else -1); `train` keeps the rest (and every interaction of the others).
struct Split {
  Dataset train;
  std::vector<int64_t> held;  // item index per user, -1 for none
  // Per user, the items ranking leaves out; empty: the user's training items.
  std::vector<std::vector<uint32_t>> exclude;
};
Split LeaveLastOut(const Dataset& all);

// Next purchase: each user with a buy has their latest buy held out; `train` keeps what they
// did before it (views, favourites, carts, buys) and everything of the others; ranking leaves
// out only the items they bought before (a viewed item can still be the one bought).
Split LeaveLastPurchaseOut(const Dataset& all);

}  // namespace holo::recommend
