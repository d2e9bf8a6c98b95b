// Offer attribution (docs/aipl.md, "Offers"): a coupon or a private-sale invitation issued to
// a segment's members, with a random holdout of the same members not invited, credited back:
// per group the people who bought (an Order Completed) and their revenue, and those who
// redeemed the offer's coupon (a Coupon Redeemed of the offer's campaign) online or in a
// store (store_id set), in the window after the issue. The uplift of the conversion rate
// (invited minus holdout) comes with Newcombe's hybrid score interval, the revenue per person
// with a Welch interval: both stay honest at small counts (proportion_interval.h).
//
//   analytics::OfferIssue issue = ...;   // the engine's record of `holo offer issue`
//   HOLO_ASSIGN_OR_RETURN(analytics::OfferReport r, analytics::MeasureOffer(store, issue, window_ms));
//   std::string json = analytics::OfferReportJson(r);
#pragma once

#include <cstdint>
#include <string>

#include <roaring/roaring.hh>

#include "holo/result.h"
#include "storage/store.h"

namespace holo::analytics {

struct OfferIssue {
  std::string name;      // the offer
  std::string campaign;  // the campaign its coupons carry (Coupon Redeemed `campaign`)
  std::string segment;   // who it was issued to
  int64_t issued_ms = 0;
  double holdout_share = 0.1;
  Roaring invited, holdout;
};

struct OfferGroup {
  uint64_t n = 0;
  uint64_t buyers = 0;          // at least one Order Completed in the window
  uint64_t redeemers = 0;       // at least one Coupon Redeemed of the campaign
  uint64_t redeemed_online = 0, redeemed_in_store = 0;  // redemptions (events), by where
  double revenue = 0;           // Order Completed revenue in the window
  double revenue_sq = 0;        // sum over people of (their revenue)^2, for the variance
  double Conversion() const { return n ? static_cast<double>(buyers) / static_cast<double>(n) : 0; }
  double RevenuePerPerson() const { return n ? revenue / static_cast<double>(n) : 0; }
};

struct OfferReport {
  OfferIssue issue;
  int64_t window_ms = 0;
  OfferGroup invited, holdout;
  double uplift_pp = 0, uplift_low_pp = 0, uplift_high_pp = 0;  // conversion, 95%
  double revenue_uplift = 0, revenue_uplift_low = 0, revenue_uplift_high = 0;  // per person, 95%
  double incremental_revenue = 0;  // revenue_uplift * invited.n
  // Both groups have people: without a holdout (or nobody invited) there is no uplift.
  bool comparable = false;
};

// Scans the events once (analytics::ScanEventsByOneId).
Result<OfferReport> MeasureOffer(const storage::Store& store, const OfferIssue& issue, int64_t window_ms);

std::string OfferReportJson(const OfferReport& r);
std::string OfferReportText(const OfferReport& r);

}  // namespace holo::analytics
