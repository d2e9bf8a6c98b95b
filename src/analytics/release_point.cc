#include "analytics/release_point.h"

#include <sodium.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "analytics/dp_noise.h"
#include "common/coding.h"
#include "common/hex.h"
#include "common/time_util.h"
#include "storage/keys.h"
#include "storage/store.h"

namespace holo::analytics {
namespace {

using storage::Cf;
namespace keys = storage::keys;

constexpr int64_t kDayMs = 86'400'000;

// The first day of the period holding `now_ms`, YYYY-MM-DD: ISO dates sort as the periods do.
std::string PeriodOf(const Budget& b) {
  const int64_t now = b.now_ms != 0 ? b.now_ms : NowMs();
  const int64_t len = static_cast<int64_t>(std::max<uint32_t>(1, b.period_days)) * kDayMs;
  const int64_t start = now >= 0 ? now / len * len : -((-now + len - 1) / len) * len;
  return FormatIso8601Ms(start).substr(0, 10);
}

std::string OwnerPrefix(std::string_view prefix, std::string_view owner) {
  std::string k(prefix);
  k.append(owner);
  k.push_back('\0');
  return k;
}

// Where `owner`'s spending in `period` is kept.
std::string BudgetKey(std::string_view owner, std::string_view period) {
  return OwnerPrefix(keys::kDpBudgetPrefix, owner) + std::string(period);
}

// What was asked, as 16 bytes of BLAKE2b (equal keys, equal answers; the key text itself,
// which may quote an expression, is not kept).
std::string QueryHash(std::string_view key) {
  unsigned char out[16];
  crypto_generichash(out, sizeof(out), reinterpret_cast<const unsigned char*>(key.data()), key.size(), nullptr, 0);
  return hex::Encode(out, sizeof(out));
}

std::string EncodeAnswer(const std::vector<std::optional<uint64_t>>& cells) {
  std::string v(1, '\1');  // version
  coding::PutVarint64(&v, cells.size());
  for (const auto& c : cells) {
    v.push_back(c.has_value() ? '\1' : '\0');
    if (c.has_value()) coding::PutVarint64(&v, *c);
  }
  return v;
}

bool DecodeAnswer(std::string_view in, std::vector<std::optional<uint64_t>>* cells) {
  if (in.empty() || in[0] != '\1') return false;
  in.remove_prefix(1);
  uint64_t n = 0;
  if (!coding::GetVarint64(&in, &n) || n > in.size()) return false;
  cells->clear();
  for (uint64_t i = 0; i < n; ++i) {
    if (in.empty()) return false;
    const bool shown = in[0] == '\1';
    in.remove_prefix(1);
    uint64_t x = 0;
    if (shown && !coding::GetVarint64(&in, &x)) return false;
    cells->push_back(shown ? std::optional<uint64_t>(x) : std::nullopt);
  }
  return in.empty();
}

std::string FormatEpsilon(double e) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", e);
  return buf;
}

}  // namespace

ReleasePoint::ReleasePoint(storage::Store* store) : store_(store) {}

// The state of the releases before every number was noised (a log of released groups and
// of sealed ones, budgets per token and day): groups of OneIDs, which the budget makes
// needless. Deleted at the first release of a process.
Status ReleasePoint::DropOldState() {
  if (cleaned_) return Status::OK();
  storage::WriteBatch batch(*store_);
  for (char tag : {keys::kGroupLogTag, keys::kSealedGroupTag}) {
    const std::string begin(1, tag);
    const std::string end(1, static_cast<char>(tag + 1));
    batch.DeleteRange(Cf::kSegments, begin, end);
  }
  batch.Delete(Cf::kMeta, keys::kOldReleasedSeq);
  batch.Delete(Cf::kMeta, keys::kOldSealedSeq);
  std::string end(keys::kOldBudgetPrefix);
  end.back() = static_cast<char>(end.back() + 1);
  batch.DeleteRange(Cf::kMeta, keys::kOldBudgetPrefix, end);
  HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/false));
  cleaned_ = true;
  return Status::OK();
}

Result<ReleaseAnswer> ReleasePoint::Spent(const Budget& budget) {
  MutexLock lock(&mu_);
  ReleaseAnswer out;
  out.period = PeriodOf(budget);
  out.total = budget.total;
  HOLO_ASSIGN_OR_RETURN(auto v, store_->Get(Cf::kMeta, BudgetKey(budget.owner, out.period)));
  out.spent = v.has_value() ? std::strtod(v->c_str(), nullptr) : 0;
  return out;
}

Result<ReleaseAnswer> ReleasePoint::Release(const ReleaseQuery& query, const Budget& budget) {
  if (budget.owner.empty()) return Status::InvalidArgument("a release needs the analyst whose budget pays for it");
  for (const ReleaseCell& c : query.cells) {
    if (Epsilon::Below(c.epsilon).num == 0 || c.threshold == 0) {
      return Status::InvalidArgument("every released number needs noise (epsilon >= 1e-6) and a threshold");
    }
  }
  MutexLock lock(&mu_);
  HOLO_RETURN_IF_ERROR(DropOldState());
  ReleaseAnswer out;
  out.period = PeriodOf(budget);
  out.total = budget.total;
  const std::string budget_key = BudgetKey(budget.owner, out.period);
  const std::string answers = OwnerPrefix(keys::kDpAnswerPrefix, budget.owner);
  const std::string answer_key = answers + out.period + '\0' + QueryHash(query.key);
  HOLO_ASSIGN_OR_RETURN(auto spent_value, store_->Get(Cf::kMeta, budget_key));
  const double spent = spent_value.has_value() ? std::strtod(spent_value->c_str(), nullptr) : 0;
  out.spent = spent;
  HOLO_ASSIGN_OR_RETURN(auto kept, store_->Get(Cf::kMeta, answer_key));
  if (kept.has_value() && DecodeAnswer(*kept, &out.cells) && out.cells.size() == query.cells.size()) {
    return out;  // the period's answer: nothing new is learnt, nothing is charged
  }
  if (spent + query.charge > budget.total + 1e-9) {
    return Status(StatusCode::kResourceExhausted,
                  "the privacy budget of '" + budget.owner + "' for the period from " + out.period + " (UTC) is spent: " +
                      FormatEpsilon(spent) + " of " + FormatEpsilon(budget.total) + " epsilon used, this question needs " +
                      FormatEpsilon(query.charge));
  }
  out.cells.clear();
  for (const ReleaseCell& c : query.cells) {
    const int64_t noisy = static_cast<int64_t>(c.count) + DiscreteLaplace(Epsilon::Below(c.epsilon));
    if (noisy >= static_cast<int64_t>(c.threshold)) {
      out.cells.emplace_back(static_cast<uint64_t>(noisy));
    } else {
      out.cells.emplace_back(std::nullopt);
    }
  }
  out.charged = query.charge;
  out.spent = spent + query.charge;
  storage::WriteBatch batch(*store_);
  if (!spent_value.has_value()) {
    // A new period for this owner: the answers of earlier periods go.
    batch.DeleteRange(Cf::kMeta, answers, answers + out.period);
    const std::string budgets = OwnerPrefix(keys::kDpBudgetPrefix, budget.owner);
    batch.DeleteRange(Cf::kMeta, budgets, budgets + out.period);
  }
  batch.Put(Cf::kMeta, budget_key, FormatEpsilon(out.spent));
  batch.Put(Cf::kMeta, answer_key, EncodeAnswer(out.cells));
  HOLO_RETURN_IF_ERROR(store_->Write(&batch, /*sync=*/true));
  return out;
}

}  // namespace holo::analytics
