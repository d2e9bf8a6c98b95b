#include "analytics/offer.h"

#include <simdjson.h>

#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "analytics/event_scan.h"
#include "analytics/proportion_interval.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace holo::analytics {

namespace {

struct PersonOutcome {
  bool bought = false, redeemed = false;
  double revenue = 0;
};

}  // namespace

Result<OfferReport> MeasureOffer(const storage::Store& store, const OfferIssue& issue, int64_t window_ms) {
  OfferReport r;
  r.issue = issue;
  r.window_ms = window_ms;
  const int64_t end_ms = issue.issued_ms + window_ms;
  std::unordered_map<uint64_t, PersonOutcome> people;
  uint64_t online[2] = {0, 0}, in_store[2] = {0, 0};  // [invited, holdout]
  simdjson::dom::parser parser;
  HOLO_RETURN_IF_ERROR(ScanEventsByOneId(store, [&](uint64_t oneid, const storage::EventRecord& ev) {
    if (ev.timestamp_ms < issue.issued_ms || ev.timestamp_ms >= end_ms) return;
    if (ev.event != "Order Completed" && ev.event != "Coupon Redeemed") return;
    if (oneid > UINT32_MAX) return;
    const uint32_t id = static_cast<uint32_t>(oneid);
    const bool invited = issue.invited.contains(id);
    if (!invited && !issue.holdout.contains(id)) return;
    simdjson::dom::element props;
    if (parser.parse(ev.properties_json).get(props) || !props.is_object()) return;
    PersonOutcome& p = people[oneid];
    if (ev.event == "Order Completed") {
      p.bought = true;
      double revenue = 0;
      if (!props["revenue"].get_double().get(revenue) && std::isfinite(revenue)) p.revenue += revenue;
      return;
    }
    std::string_view campaign;
    if (props["campaign"].get_string().get(campaign) || campaign != issue.campaign) return;
    p.redeemed = true;
    std::string_view store_id;
    const bool at_store = !props["store_id"].get_string().get(store_id) && !store_id.empty();
    ++(at_store ? in_store : online)[invited ? 0 : 1];
  }));
  r.invited.n = issue.invited.cardinality();
  r.holdout.n = issue.holdout.cardinality();
  for (const auto& [oneid, p] : people) {
    OfferGroup& g = issue.invited.contains(static_cast<uint32_t>(oneid)) ? r.invited : r.holdout;
    g.buyers += p.bought;
    g.redeemers += p.redeemed;
    g.revenue += p.revenue;
    g.revenue_sq += p.revenue * p.revenue;
  }
  r.invited.redeemed_online = online[0];
  r.invited.redeemed_in_store = in_store[0];
  r.holdout.redeemed_online = online[1];
  r.holdout.redeemed_in_store = in_store[1];

  r.comparable = r.invited.n > 0 && r.holdout.n > 0;
  r.uplift_pp = 100 * (r.invited.Conversion() - r.holdout.Conversion());
  const Interval ci = NewcombeDifference(r.invited.Conversion(), static_cast<double>(r.invited.n),
                                         r.holdout.Conversion(), static_cast<double>(r.holdout.n));
  r.uplift_low_pp = 100 * ci.low;
  r.uplift_high_pp = 100 * ci.high;
  // Revenue per person: a Welch interval (normal approximation) of the difference of means.
  auto variance = [](const OfferGroup& g) {
    if (g.n < 2) return 0.0;
    const double n = static_cast<double>(g.n), mean = g.revenue / n;
    return std::max(0.0, (g.revenue_sq - n * mean * mean) / (n - 1));
  };
  r.revenue_uplift = r.invited.RevenuePerPerson() - r.holdout.RevenuePerPerson();
  const double se = std::sqrt((r.invited.n ? variance(r.invited) / static_cast<double>(r.invited.n) : 0) +
                              (r.holdout.n ? variance(r.holdout) / static_cast<double>(r.holdout.n) : 0));
  r.revenue_uplift_low = r.revenue_uplift - kZ95 * se;
  r.revenue_uplift_high = r.revenue_uplift + kZ95 * se;
  r.incremental_revenue = r.revenue_uplift * static_cast<double>(r.invited.n);
  return r;
}

namespace {

double Round2(double x) { return std::round(x * 100) / 100; }

void GroupJson(JsonWriter& w, const char* key, const OfferGroup& g) {
  w.Key(key).BeginObject().Key("n").Uint(g.n).Key("buyers").Uint(g.buyers);
  w.Key("conversion").Double(std::round(g.Conversion() * 10000) / 10000).Key("revenue").Double(Round2(g.revenue));
  w.Key("revenue_per_person").Double(Round2(g.RevenuePerPerson())).Key("redeemers").Uint(g.redeemers);
  w.Key("redeemed_online").Uint(g.redeemed_online).Key("redeemed_in_store").Uint(g.redeemed_in_store).EndObject();
}

}  // namespace

std::string OfferReportJson(const OfferReport& r) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("offer").String(r.issue.name).Key("campaign").String(r.issue.campaign);
  w.Key("segment").String(r.issue.segment).Key("issued").String(FormatIso8601Ms(r.issue.issued_ms));
  w.Key("window_days").Double(static_cast<double>(r.window_ms) / 86400000.0);
  w.Key("holdout_share").Double(r.issue.holdout_share);
  GroupJson(w, "invited", r.invited);
  GroupJson(w, "holdout", r.holdout);
  if (!r.comparable) {
    w.Key("conversion_uplift_pp").Null().Key("conversion_uplift_ci95_pp").Null();
    w.Key("revenue_uplift_per_person").Null().Key("revenue_uplift_ci95").Null().Key("incremental_revenue").Null();
    w.Key("note").String(r.holdout.n == 0 ? "no one was held out: no uplift to measure"
                                          : "no one was invited: no uplift to measure");
  } else {
    w.Key("conversion_uplift_pp").Double(Round2(r.uplift_pp));
    w.Key("conversion_uplift_ci95_pp").BeginArray().Double(Round2(r.uplift_low_pp)).Double(Round2(r.uplift_high_pp)).EndArray();
    w.Key("revenue_uplift_per_person").Double(Round2(r.revenue_uplift));
    w.Key("revenue_uplift_ci95").BeginArray().Double(Round2(r.revenue_uplift_low)).Double(Round2(r.revenue_uplift_high)).EndArray();
    w.Key("incremental_revenue").Double(Round2(r.incremental_revenue));
  }
  w.Key("ci_method").String("conversion: Newcombe hybrid score; revenue: Welch (normal approximation)").EndObject();
  return out;
}

std::string OfferReportText(const OfferReport& r) {
  auto group = [](const char* name, const OfferGroup& g) {
    return fmt::format("{:<8} {:>7} people, {:>6} bought ({:.2f}%), revenue {:.2f} ({:.2f} per person), "
                       "{} redeemed ({} online, {} in store)\n",
                       name, g.n, g.buyers, 100 * g.Conversion(), g.revenue, g.RevenuePerPerson(), g.redeemers,
                       g.redeemed_online, g.redeemed_in_store);
  };
  std::string out = fmt::format("offer {} (campaign {}) to segment {}, issued {}, {:.0f}-day window, {:.0f}% held out\n",
                                r.issue.name, r.issue.campaign, r.issue.segment, FormatIso8601Ms(r.issue.issued_ms),
                                static_cast<double>(r.window_ms) / 86400000.0, 100 * r.issue.holdout_share);
  out += group("invited", r.invited);
  out += group("holdout", r.holdout);
  if (!r.comparable) return out + (r.holdout.n == 0 ? "no one was held out: no uplift to measure\n"
                                                     : "no one was invited: no uplift to measure\n");
  out += fmt::format("conversion uplift {:.2f} pp, 95% CI [{:.2f}, {:.2f}] pp (Newcombe)\n", r.uplift_pp, r.uplift_low_pp,
                     r.uplift_high_pp);
  out += fmt::format("revenue uplift {:.2f} per person, 95% CI [{:.2f}, {:.2f}]; incremental revenue {:.2f}\n",
                     r.revenue_uplift, r.revenue_uplift_low, r.revenue_uplift_high, r.incremental_revenue);
  return out;
}

}  // namespace holo::analytics
