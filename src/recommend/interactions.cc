#include "recommend/interactions.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <numeric>

namespace holo::recommend {

namespace {

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  const char sep = line.find('\t') != std::string_view::npos ? '\t' : ',';
  size_t start = 0;
  while (true) {
    const size_t end = line.find(sep, start);
    std::string_view f = line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    while (!f.empty() && (f.front() == ' ' || f.front() == '"')) f.remove_prefix(1);
    while (!f.empty() && (f.back() == ' ' || f.back() == '"' || f.back() == '\r')) f.remove_suffix(1);
    out.push_back(f);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

template <typename T>
bool Number(std::string_view s, T* v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

Kind KindOf(std::string_view behaviour) {
  if (behaviour == "pv") return Kind::kView;
  if (behaviour == "fav") return Kind::kFavourite;
  if (behaviour == "cart") return Kind::kCart;
  if (behaviour == "buy") return Kind::kBuy;
  return Kind::kAny;
}

// One line into `out`, or the reason it is not an interaction.
std::string_view Parse(std::string_view line, Interaction* out) {
  auto f = Fields(line);
  out->kind = Kind::kAny;
  if (f.size() == 5) {  // UserBehavior: user, item, category, behaviour, time
    out->kind = KindOf(f[3]);
    if (out->kind == Kind::kAny) return "the behaviour is not pv, fav, cart or buy";
    f = {f[0], f[1], f[4]};
  }
  if (f.size() != 3 && f.size() != 4) return "expected user, item, [weight,] time";
  if (f[0].empty()) return "empty user";
  if (f[1].empty()) return "empty item";
  int64_t ts = 0;
  double ts_d = 0;
  const std::string_view time = f.back();
  if (!Number(time, &ts)) {
    if (!Number(time, &ts_d) || !(ts_d >= 0)) return "the time is not a Unix time";
    ts = static_cast<int64_t>(ts_d);
  }
  double weight = 1;
  if (f.size() == 4 && (!Number(f[2], &weight) || !(weight > 0) || weight > 1e9)) return "the weight is not a positive number";
  out->user.assign(f[0]);
  out->item.assign(f[1]);
  if (out->kind != Kind::kAny) weight = static_cast<double>(out->kind);
  out->weight = static_cast<float>(weight);
  out->ts = ts;
  return {};
}

}  // namespace

Result<ReadReport> ReadInteractionFile(const std::string& path, InteractionLog* log, const BadLine& bad) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open");
  ReadReport r;
  std::string line;
  Interaction it;
  while (std::getline(in, line)) {
    ++r.lines;
    if (line.empty() || line == "\r") continue;
    const std::string_view why = Parse(line, &it);
    if (why.empty()) {
      log->push_back(it);
      ++r.read;
    } else if (r.lines == 1) {
      r.header = true;  // "user,item,rating,timestamp"
    } else {
      ++r.bad;
      if (bad) bad(r.lines, why, line);
    }
  }
  if (in.bad()) return Status::IOError(path + ": read error");
  if (r.read == 0) return Status::InvalidArgument(path + ": no interaction in the file (user, item, [weight,] time per line)");
  return r;
}

Dataset Dataset::From(const InteractionLog& log) {
  Dataset d;
  for (const Interaction& x : log) {
    auto [u, new_user] = d.user_index.try_emplace(x.user, static_cast<uint32_t>(d.users.size()));
    if (new_user) {
      d.users.push_back(x.user);
      d.by_user.emplace_back();
    }
    auto [i, new_item] = d.item_index.try_emplace(x.item, static_cast<uint32_t>(d.items.size()));
    if (new_item) d.items.push_back(x.item);
    d.by_user[u->second].push_back({i->second, x.weight, x.ts, x.kind});
  }
  for (auto& events : d.by_user) {
    std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.ts < b.ts; });
  }
  return d;
}

uint64_t Dataset::num_interactions() const {
  uint64_t n = 0;
  for (const auto& e : by_user) n += e.size();
  return n;
}

Dataset Dataset::Truncated(const std::function<size_t(uint32_t user)>& keep) const {
  Dataset d;
  d.users = users;
  d.items = items;
  d.user_index = user_index;
  d.item_index = item_index;
  d.by_user.resize(by_user.size());
  for (uint32_t u = 0; u < by_user.size(); ++u) {
    const size_t n = std::min(keep(u), by_user[u].size());
    d.by_user[u].assign(by_user[u].begin(), by_user[u].begin() + static_cast<std::ptrdiff_t>(n));
  }
  return d;
}

Split LeaveLastOut(const Dataset& all) {
  Split s;
  s.held.assign(all.num_users(), -1);
  for (uint32_t u = 0; u < all.num_users(); ++u) {
    if (all.by_user[u].size() >= 2) s.held[u] = all.by_user[u].back().item;
  }
  s.train = all.Truncated([&](uint32_t u) { return all.by_user[u].size() - (s.held[u] >= 0 ? 1 : 0); });
  return s;
}

Split LeaveLastPurchaseOut(const Dataset& all) {
  Split s;
  s.held.assign(all.num_users(), -1);
  s.exclude.resize(all.num_users());
  std::vector<size_t> keep(all.num_users());
  for (uint32_t u = 0; u < all.num_users(); ++u) {
    const auto& events = all.by_user[u];
    keep[u] = events.size();
    for (size_t p = events.size(); p-- > 0;) {
      if (events[p].kind == Kind::kBuy) {
        s.held[u] = events[p].item;
        keep[u] = p;
        break;
      }
    }
    for (size_t p = 0; p < keep[u]; ++p) {
      if (events[p].kind == Kind::kBuy) s.exclude[u].push_back(events[p].item);
    }
    if (s.held[u] >= 0 && keep[u] == 0) s.held[u] = -1;  // nothing before it to go on
  }
  s.train = all.Truncated([&](uint32_t u) { return keep[u]; });
  return s;
}

}  // namespace holo::recommend
