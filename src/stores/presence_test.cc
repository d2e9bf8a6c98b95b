// The presence model's definitions (docs/stores.md): visits end after 15 minutes unseen,
// visitors stay 5 minutes, weak probes are passers-by, residents never count, randomized
// MACs resolve to devices through their fingerprints, windows align to the clock.
#include "stores/presence.h"
#include "stores/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace holo::stores {
namespace {

constexpr int64_t kMin = 60LL * 1000000;
constexpr int64_t kDay = 86400LL * 1000000;
const int64_t kT0 = 20000 * kDay + 10 * 60 * kMin;  // a day at 10:00

PresenceParams Plain() {
  PresenceParams p;
  p.people_per_device = 1;
  p.people_offset = 0;
  return p;
}

// Every `every` minutes from `from` to `to` (minutes after kT0).
void Seen(std::vector<Sighting>* out, uint64_t device, int from, int to, int every = 1, int rssi = -60,
          bool randomized = false, uint64_t fingerprint = 0) {
  for (int m = from; m <= to; m += every) {
    out->push_back({kT0 + m * kMin, device, fingerprint, rssi, randomized, false});
  }
}

std::map<int64_t, uint32_t> Present(std::vector<Sighting> s, const PresenceParams& p, int64_t interval = 5 * kMin,
                                 DeviceCount* count = nullptr) {
  std::stable_sort(s.begin(), s.end(), [](const Sighting& a, const Sighting& b) { return a.t_us < b.t_us; });
  PresenceModel m(p);
  for (const auto& x : s) m.Learn(x);
  if (count) *count = m.Devices();
  m.BeginOccupancy(interval);
  for (const auto& x : s) m.Observe(x);
  std::map<int64_t, uint32_t> out;
  for (const auto& w : m.EndOccupancy()) {
    EXPECT_EQ(w.start_us % interval, 0) << "windows are aligned to the clock";
    out[(w.start_us - kT0) / kMin] = w.devices;  // minutes after kT0
  }
  return out;
}

// A phone that probes with randomized MACs and then with its own address (once it joins a
// network) is one device, when its own address takes over within a visit gap and never runs
// beside randomized probes of its fingerprint; otherwise two phones of one model stay two.
TEST(PresenceModelTest, AGloballyUniqueMacTakingOverFromRandomizedOnesIsTheirDevice) {
  const uint64_t kF = 0xF1, kOther = 0xF2;
  auto devices = [](const std::vector<Sighting>& s) {
    DeviceCount c;
    Present(s, Plain(), 5 * kMin, &c);
    return c;
  };
  std::vector<Sighting> handover;
  for (int m = 0; m < 30; m += 3) Seen(&handover, 100 + m, m, m + 2, 1, -60, true, kF);  // rotating
  Seen(&handover, 1, 40, 70, 2, -60, false, kF);  // its own MAC, 8 minutes after the last
  DeviceCount c = devices(handover);
  EXPECT_EQ(c.devices, 1u);
  EXPECT_EQ(c.handovers, 1u);
  EXPECT_EQ(c.globally_unique, 0u);

  std::vector<Sighting> beside = handover;  // randomized probes of the model go on meanwhile
  Seen(&beside, 200, 50, 52, 1, -60, true, kF);
  c = devices(beside);
  EXPECT_EQ(c.handovers, 0u);
  EXPECT_EQ(c.devices, 2u);

  std::vector<Sighting> later;  // an hour later: another visit, another phone
  for (int m = 0; m < 30; m += 3) Seen(&later, 100 + m, m, m + 2, 1, -60, true, kF);
  Seen(&later, 1, 90, 120, 2, -60, false, kF);
  EXPECT_EQ(devices(later).devices, 2u);

  std::vector<Sighting> other_model;  // another fingerprint
  for (int m = 0; m < 30; m += 3) Seen(&other_model, 100 + m, m, m + 2, 1, -60, true, kF);
  Seen(&other_model, 1, 40, 70, 2, -60, false, kOther);
  EXPECT_EQ(devices(other_model).devices, 2u);
}

TEST(PresenceModelTest, VisitorsBouncesPassersByAndGaps) {
  std::vector<Sighting> s;
  Seen(&s, 1, 0, 20);             // a visitor: 20 minutes
  Seen(&s, 2, 0, 3);              // a bounce: 3 minutes
  Seen(&s, 3, 0, 30, 1, -85);     // a passer-by: too weak
  Seen(&s, 4, 40, 50);            // a visit of 10 minutes ...
  Seen(&s, 4, 70, 80);            // ... and after 20 minutes unseen, another
  auto w = Present(s, Plain());
  EXPECT_EQ(w[0], 1u);   // 1 only (2 bounced, 3 outside)
  EXPECT_EQ(w[20], 1u);
  EXPECT_EQ(w[25], 0u);  // the passer-by's probes keep the window, count nobody
  EXPECT_EQ(w[45], 1u);
  EXPECT_EQ(w[55], 0u) << "a gap longer than 15 minutes ends a visit";
  EXPECT_EQ(w[60], 0u);
  EXPECT_EQ(w[75], 1u);
}

TEST(PresenceModelTest, ResidentsAreSeenNearlyAlwaysOnNearlyEveryDay) {
  std::vector<Sighting> s;
  for (int day = 0; day < 3; ++day) {
    for (int m = 0; m < 120; ++m) s.push_back({kT0 + day * kDay + m * kMin, 9, 0, -50, false, false});  // the printer
    for (int m = 10; m < 40; ++m) s.push_back({kT0 + day * kDay + m * kMin, 100 + day, 0, -60, false, false});
  }
  DeviceCount c;
  auto w = Present(s, Plain(), 5 * kMin, &c);
  EXPECT_EQ(c.residents, 1u);
  EXPECT_EQ(c.globally_unique, 4u);
  EXPECT_EQ(w[0], 0u) << "the resident never counts";
  EXPECT_EQ(w[20], 1u);
  // One day of data is not enough to call anything a resident.
  std::vector<Sighting> one(s.begin(), s.begin() + 150);
  Present(one, Plain(), 5 * kMin, &c);
  EXPECT_EQ(c.residents, 0u);
}

TEST(PresenceModelTest, RandomizedMacsResolveToDevicesThroughFingerprints) {
  std::vector<Sighting> s;
  // Phone A rotates its MAC every minute for 30 minutes: 31 MACs, one fingerprint.
  for (int m = 0; m <= 30; ++m) s.push_back({kT0 + m * kMin, 1000 + static_cast<uint64_t>(m), 77, -60, true, false});
  // Phone B: another fingerprint, 10 minutes.
  for (int m = 0; m <= 10; ++m) s.push_back({kT0 + m * kMin, 2000 + static_cast<uint64_t>(m), 88, -60, true, false});
  DeviceCount c;
  auto w = Present(s, Plain(), 5 * kMin, &c);
  EXPECT_EQ(c.randomized_macs, 42u);
  EXPECT_EQ(c.randomized_devices, 2u);
  EXPECT_EQ(c.devices, 2u);
  EXPECT_EQ(w[5], 2u);
  EXPECT_EQ(w[20], 1u);
  // A phone that rotates without setting the locally administered bit (short-lived MACs
  // sharing one fingerprint) is one device too; a laptop seen for an hour is its own.
  std::vector<Sighting> t;
  for (int m = 0; m <= 30; m += 2) t.push_back({kT0 + m * kMin, 3000 + static_cast<uint64_t>(m), 55, -60, false, false});
  Seen(&t, 4000, 0, 60, 1, -60, false, 55);
  Present(t, Plain(), 5 * kMin, &c);
  EXPECT_EQ(c.rotating_macs, 16u);
  EXPECT_EQ(c.devices, 2u) << "16 rotating MACs and one laptop";
}

TEST(PresenceModelTest, WindowsOfAnyIntervalAlignToTheClockAndTheEstimateIsCalibrated) {
  std::vector<Sighting> s;
  Seen(&s, 1, 7, 50);
  Seen(&s, 2, 7, 50);
  PresenceParams p = Plain();
  p.people_per_device = 0.5;
  p.people_offset = 1;
  std::sort(s.begin(), s.end(), [](const Sighting& a, const Sighting& b) { return a.t_us < b.t_us; });
  PresenceModel m(p);
  for (const auto& x : s) m.Learn(x);
  m.BeginOccupancy(15 * kMin);
  for (const auto& x : s) m.Observe(x);
  auto w = m.EndOccupancy();
  ASSERT_EQ(w.size(), 4u);  // 10:00, 10:15, 10:30, 10:45
  EXPECT_EQ(w[0].start_us, kT0);
  EXPECT_EQ(w[3].start_us, kT0 + 45 * kMin);
  EXPECT_EQ(w[1].devices, 2u);
  EXPECT_DOUBLE_EQ(w[1].estimate, 2.0);  // 0.5 * 2 + 1
  // Only the sniffer captures have a fitted line; the others say they have none.
  EXPECT_TRUE(DefaultParams("sniffer-csv").calibrated);
  EXPECT_FALSE(DefaultParams("meraki-v3").calibrated);
  EXPECT_EQ(DefaultParams("meraki-v3").people_per_device, 1.0);
}

}  // namespace
}  // namespace holo::stores

namespace holo::stores {
namespace {

StoreMetrics Metrics(std::vector<Sighting> s, int64_t from_us = INT64_MIN, int64_t to_us = INT64_MAX) {
  std::stable_sort(s.begin(), s.end(), [](const Sighting& a, const Sighting& b) { return a.t_us < b.t_us; });
  PresenceParams p = Plain();
  PresenceModel m(p);
  for (const auto& x : s) m.Learn(x);
  MetricsBuilder b(&m, p, from_us, to_us);
  for (const auto& x : s) b.Observe(x);
  return b.Finish();
}

TEST(StoreMetricsTest, VisitorsBouncesPassersByCaptureDwellReturningLoyaltyFlows) {
  std::vector<Sighting> s;
  Seen(&s, 1, 0, 20);            // visitor, 20 min (>= 15 bucket), day 0
  Seen(&s, 2, 0, 2);             // bounce, 2 min (<= 3 bucket)
  Seen(&s, 3, 0, 30, 1, -85);    // passer-by
  Seen(&s, 4, 0, 8);             // visitor, 8 min (3-15 bucket)
  for (int m = 0; m <= 10; ++m) {  // day 1: device 1 returns; device 5 walks entrance -> shoes -> till
    s.push_back({kT0 + kDay + m * kMin, 1, 0, -60, false, false, 0});
    s.push_back({kT0 + kDay + m * kMin, 5, 0, -60, false, false, m < 4 ? 1u : m < 8 ? 2u : 3u});
  }
  StoreMetrics m = Metrics(s);
  EXPECT_EQ(m.total.visits, 5u);
  EXPECT_EQ(m.total.visitors, 4u);
  EXPECT_EQ(m.total.bounces, 1u);
  EXPECT_EQ(m.total.passers_by, 1u);
  EXPECT_EQ(m.total.returning, 1u) << "device 1, on its second day";
  EXPECT_EQ(m.total.dwell[0], 1u);
  EXPECT_EQ(m.total.dwell[1], 3u);
  EXPECT_EQ(m.total.dwell[2], 1u);
  ASSERT_EQ(m.days.size(), 2u);
  EXPECT_EQ(m.days.begin()->second.visits, 3u);
  EXPECT_EQ(m.hours[10], 5u) << "every visit starts at 10:00";
  EXPECT_EQ(m.loyalty[0], 2u);  // devices 4 and 5: one visit each
  EXPECT_EQ(m.loyalty[1], 1u);  // device 1: two
  EXPECT_EQ((m.flows[{1u, 2u}]), 1u);
  EXPECT_EQ((m.flows[{2u, 3u}]), 1u);
  EXPECT_EQ(m.flows.size(), 2u);
  // Day 1 alone: device 1's first visit is history, so it still counts as returning.
  StoreMetrics d1 = Metrics(s, kT0 + kDay - 60 * kMin, INT64_MAX);
  EXPECT_EQ(d1.total.visits, 2u);
  EXPECT_EQ(d1.total.returning, 1u);
}

}  // namespace
}  // namespace holo::stores
