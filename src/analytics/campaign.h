// campaign: the effect of a campaign's exposure on buying its brand, measured against a
// matched group of OneIDs never exposed to it. docs/aipl.md describes the design.
//
//   CampaignOptions options;
//   options.campaign = "Autumn Run";
//   HOLO_ASSIGN_OR_RETURN(CampaignReport r, MeasureCampaign(store, options));
//   std::cout << r.ToText(/*min_group=*/10);   // lift 0.52 pp [0.11, 0.93] ...
//
// Design, in short: exposed = OneIDs with a Promotion Viewed of the campaign, exposure time t0
// = their first one. Every other OneID is a candidate control and gets a pseudo exposure time
// drawn (deterministically, from `seed`) from the exposed's t0s. Outcome = an Order Completed
// with a product of the campaign's brand in (t0, t0 + horizon]. Both groups are stratified on
// behaviour before their t0 (shopping events, orders, events in the brand's category), on
// whether the OneID uses a shop app at all, and on the quarter of the campaign t0 falls in; the
// lift is the exposed-weighted average of the per-stratum differences of proportions, with a
// normal-approximation 95% interval. Two passes over the events; memory is O(OneIDs).
// Thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "analytics/funnel.h"
#include "holo/result.h"
#include "storage/store.h"

namespace holo::analytics {

struct CampaignOptions {
  // The `campaign` property of Promotion Viewed / Clicked ("Autumn Run"). Required.
  std::string campaign;
  // Outcome horizon after the (pseudo) exposure. Default: 7 days.
  int64_t horizon_ms = 7 * kDayMs;
  // Category of the brand for the category-interest covariate. Default: empty = the category
  // most products of the brand carry.
  std::string category;
  // Seed of the controls' pseudo exposure times. Default: 1.
  uint64_t seed = 1;
  // Windows of the AIPL stages reported for the campaign period.
  FunnelWindows windows;
};

// One group's outcome and stage movement.
struct CampaignGroup {
  uint64_t n = 0;       // OneIDs in the estimate (strata with both groups present)
  uint64_t buyers = 0;  // of them, bought the brand within the horizon
  // buyers / n for the exposed; for the control the stratified rate (the exposed's stratum
  // mix), which is what the lift compares against.
  double rate = 0;
  // Stage at the campaign's start -> stage at its end plus the horizon (rows: start).
  FlowMatrix flows{};
  // Share whose stage rose over the period (control: stratified like `rate`).
  double moved_up = 0;
  // The OneIDs behind n, buyers and each flow cell, sorted ascending (what the engine's
  // release point checks each released cell against).
  std::vector<uint32_t> members;
  std::vector<uint32_t> buyer_members;
  std::array<std::array<std::vector<uint32_t>, kNumStages>, kNumStages> flow_members;
};

struct CampaignReport {
  std::string campaign;
  std::string brand;     // the brand its promotions name (most frequent)
  std::string category;  // the brand's category used for the interest covariate
  int64_t start_ms = 0;  // first Promotion Viewed of the campaign
  int64_t end_ms = 0;    // last one
  int64_t stages_at_ms = 0;  // end of the stage-movement period: min(end + horizon, data end)
  int64_t horizon_ms = 0;
  uint64_t exposed_total = 0;    // OneIDs with a Promotion Viewed of the campaign
  uint64_t control_pool = 0;     // OneIDs with events and none
  std::vector<uint32_t> exposed_all, control_all;  // their OneIDs, sorted ascending
  uint64_t strata = 0;           // strata holding both exposed and controls
  CampaignGroup exposed;
  CampaignGroup control;
  double lift_pp = 0;  // percentage points
  double se_pp = 0;
  double ci_low_pp = 0;  // 95%
  double ci_high_pp = 0;
  uint64_t events_scanned = 0;  // per pass

  // JSON object; counts in [1, min_group) are written as "<min_group>", and the rates of a
  // group smaller than min_group are left out.
  std::string ToJson(uint32_t min_group) const;
  std::string ToText(uint32_t min_group) const;
};

// Measures `options.campaign` in `store`. kNotFound when no Promotion Viewed names it;
// kInvalidArgument for an empty name or a non-positive horizon.
Result<CampaignReport> MeasureCampaign(const storage::Store& store, const CampaignOptions& options);

}  // namespace holo::analytics
