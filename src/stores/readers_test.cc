// The store sensor readers: each format recognised by its header, rows turned into
// observations (times with and without a zone, randomized MACs, fingerprints), and bad rows
// reported with their line and reason while the good rows beside them still count.
#include "stores/readers.h"

#include <gtest/gtest.h>

#include <vector>

#include "testing/test_util.h"

namespace holo::stores {
namespace {

struct Bad {
  uint64_t line;
  std::string where, reason;
};

struct Read {
  ReadReport report;
  std::vector<Observation> obs;
  std::vector<Bad> bad;
  Status status;
};

Read ReadText(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir / name;
  testing::WriteFile(path, text);
  Read r;
  auto rep = ReadObservations(
      path,
      [&](const Observation& o) {
        r.obs.push_back(o);
        return Status::OK();
      },
      [&](uint64_t line, std::string_view where, std::string_view reason, std::string_view) {
        r.bad.push_back({line, std::string(where), std::string(reason)});
      });
  r.status = rep.status();
  if (rep.ok()) r.report = *rep;
  return r;
}

TEST(StoreReadersTest, MacsTimesAndFingerprints) {
  std::string mac;
  ASSERT_TRUE(NormalizeMac("DA-A1-19-D1-B8-3E", &mac));
  EXPECT_EQ(mac, "da:a1:19:d1:b8:3e");
  EXPECT_TRUE(IsLocallyAdministered(mac));           // 0xda: bit 1 set
  ASSERT_TRUE(NormalizeMac("dc:fb:48:68:be:e4", &mac));
  EXPECT_FALSE(IsLocallyAdministered(mac));          // 0xdc: a vendor's address
  EXPECT_FALSE(NormalizeMac("dc:fb:48:68:be", &mac));
  EXPECT_FALSE(NormalizeMac("zz:fb:48:68:be:e4", &mac));

  int64_t t;
  bool zoned;
  ASSERT_TRUE(ParseTime("2022-10-18 10:53:42.597864", &t, &zoned));
  EXPECT_FALSE(zoned);
  EXPECT_EQ(FormatTime(t, zoned), "2022-10-18T10:53:42");
  EXPECT_EQ(t % 1000000, 597864);
  ASSERT_TRUE(ParseTime("2022-10-18T12:53:42+02:00", &t, &zoned));
  EXPECT_TRUE(zoned);
  EXPECT_EQ(FormatTime(t, zoned), "2022-10-18T10:53:42Z");
  ASSERT_TRUE(ParseTime("1624955157.242889", &t, &zoned));
  EXPECT_EQ(FormatTime(t, zoned), "2021-06-29T08:25:57Z");
  EXPECT_FALSE(ParseTime("2022-13-01 00:00:00", &t, &zoned));
  EXPECT_FALSE(ParseTime("yesterday", &t, &zoned));
  EXPECT_EQ(Fingerprint(""), 0u);
  EXPECT_NE(Fingerprint("a"), Fingerprint("b"));
}

TEST(StoreReadersTest, SnifferCsvWithABadRowBesideGoodOnes) {
  testing::TempDir dir("store_readers");
  const std::string header =
      "datetime;dst;src;src_vendor;randomized;rssi;idx;seq_num;ch_freq;FCfield;ssid;dot11elt;oui;occupancy\n";
  Read r = ReadText(dir, "sc6-61_2022-10-18_ver-99.csv",
                    header +
                        "2022-10-18 10:53:42.597864;ff:ff:ff:ff:ff:ff;7e:fd:7a:e4:31:66;;1;-94;0;2187;2417;;S;[0, 1, 50];[6130, 20722];0.0\n"
                        "2022-10-18 10:53:43.000000;ff:ff:ff:ff:ff:ff;not-a-mac;;0;-60;1;10;2417;;;[0];[];0.0\n"
                        "2022-10-18 10:53:44.000000;ff:ff:ff:ff:ff:ff;dc:fb:48:68:be:e4;Intel;0;-61;2;11;2417;;;[0, 1];[];3.0\n"
                        "2022-10-18 10:53:45.000000;ff:ff:ff:ff:ff:ff;dc:fb:48:68:be:e4;Intel;0;loud;2;11;2417;;;[0, 1];[];3.0\n");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.report.format, "sniffer-csv");
  EXPECT_EQ(r.report.records, 4u);
  ASSERT_EQ(r.obs.size(), 2u);
  EXPECT_EQ(r.obs[0].device, "7e:fd:7a:e4:31:66");
  EXPECT_TRUE(r.obs[0].randomized);
  EXPECT_FALSE(r.obs[0].zoned);
  EXPECT_EQ(r.obs[0].rssi, -94);
  EXPECT_EQ(r.obs[0].seq, 2187);
  EXPECT_EQ(r.obs[0].sensor, "sc6-61");
  EXPECT_NE(r.obs[0].fingerprint, 0u);
  EXPECT_FALSE(r.obs[1].randomized);
  ASSERT_EQ(r.bad.size(), 2u);
  EXPECT_EQ(r.bad[0].line, 3u);
  EXPECT_NE(r.bad[0].reason.find("not a MAC address"), std::string::npos) << r.bad[0].reason;
  EXPECT_EQ(r.bad[1].line, 5u);
  EXPECT_NE(r.bad[1].reason.find("bad rssi"), std::string::npos) << r.bad[1].reason;
}

TEST(StoreReadersTest, LabelledProbeCsvFingerprintsLeaveOutBandDependentIes) {
  testing::TempDir dir("store_readers");
  const std::string header =
      "Timestamp,MAC Address,Channel,DS Channel,HT Capabilities,Extended Capabilities,Vendor Specific Tags,SSID,"
      "Supported Rates,Extended Supported Rates,VHT Capabilities,HE Capabilities,Length,Label\n";
  Read r = ReadText(dir, "phone.csv",
                    header + "1624955157.242889,da:a1:19:d1:b8:3e,1,1,2100,0000,00904c,,02040b16,0c12,,,155,P\n" +
                        "1624955158.0,da:a1:19:d1:b8:3f,36,36,2d40,0004,00904c,,02040b16,0c12,aa,bb,177,P\n" +
                        "1624955159.0,da:a1:19:d1:b8:40,1,1,2100,0000,00904d,,02040b16,0c12,,,155,P\n");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.report.format, "probe-csv");
  ASSERT_EQ(r.obs.size(), 3u);
  EXPECT_TRUE(r.obs[0].zoned);
  EXPECT_EQ(r.obs[0].rssi, kNoRssi);
  // Another band (HT, VHT, HE capabilities and length differ): the same fingerprint.
  EXPECT_EQ(r.obs[0].fingerprint, r.obs[1].fingerprint);
  // Another vendor-specific IE: another fingerprint.
  EXPECT_NE(r.obs[0].fingerprint, r.obs[2].fingerprint);
}

TEST(StoreReadersTest, MerakiV3PostsAndSegmentEvents) {
  testing::TempDir dir("store_readers");
  Read m = ReadText(dir, "meraki.json", R"({"version":"3.0","secret":"s","type":"WiFi","data":{"networkId":"N_1",
    "observations":[
      {"clientMac":"AA:BB:CC:00:11:22","manufacturer":"Apple","locations":[
        {"time":"2026-11-01T10:00:00Z","rssiRecords":[{"apMac":"ap1","rssi":-71},{"apMac":"ap2","rssi":-55}],
         "nearestApTags":["entrance"],"floorPlanId":"f1"},
        {"time":"2026-11-01T10:01:00Z","rssiRecords":[{"apMac":"ap1","rssi":-60}],"floorPlanId":"f1"}]},
      {"clientMac":"00:11:22:33:44:55","latestRecord":{"time":"2026-11-01T10:02:00Z","nearestApMac":"ap3","nearestApRssi":30}},
      {"clientMac":"nope","latestRecord":{"time":"2026-11-01T10:02:00Z"}}]}})");
  ASSERT_TRUE(m.status.ok()) << m.status.ToString();
  EXPECT_EQ(m.report.format, "meraki-v3");
  ASSERT_EQ(m.obs.size(), 3u);
  EXPECT_EQ(m.obs[0].device, "aa:bb:cc:00:11:22");
  EXPECT_TRUE(m.obs[0].randomized);  // 0xaa: locally administered
  EXPECT_EQ(m.obs[0].rssi, -55);
  EXPECT_EQ(m.obs[0].sensor, "ap2");
  EXPECT_EQ(m.obs[0].zone, "entrance");
  EXPECT_EQ(m.obs[1].zone, "f1");
  EXPECT_EQ(m.obs[2].rssi, 30 - 95);  // an SNR-style value: dBm = value - 95
  ASSERT_EQ(m.bad.size(), 1u);
  EXPECT_NE(m.bad[0].where.find("observation 3"), std::string::npos) << m.bad[0].where;

  Read s = ReadText(
      dir, "events.jsonl",
      R"({"type":"track","event":"Probe Seen","timestamp":"2026-08-29T10:01:53.262Z","properties":{"store_id":"st1","sensor_id":"w1","zone":"entrance","rssi":-71},"context":{"externalIds":[{"id":"4E:CF:00:1D:7C:C7","type":"mac"}]}})"
      "\n"
      R"({"type":"track","event":"Beacon Seen","userId":"u1","timestamp":"2026-08-29T10:02:00Z","properties":{"store_id":"st1","beacon_id":"b1","zone":"food","rssi":-62},"context":{"device":{"id":"dev-1"}}})"
      "\n"
      R"({"type":"track","event":"Order Completed","timestamp":"2026-08-29T10:02:00Z","properties":{}})"
      "\n{broken\n"
      R"({"type":"track","event":"Probe Seen","timestamp":"2026-08-29T10:03:00Z","properties":{"store_id":"st1"},"context":{}})"
      "\n");
  ASSERT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.report.format, "segment");
  ASSERT_EQ(s.obs.size(), 2u);
  EXPECT_EQ(s.obs[0].device, "4e:cf:00:1d:7c:c7");
  EXPECT_EQ(s.obs[0].store, "st1");
  EXPECT_EQ(s.obs[0].zone, "entrance");
  EXPECT_TRUE(s.obs[1].beacon);
  EXPECT_EQ(s.obs[1].device, "dev-1");
  EXPECT_EQ(s.obs[1].device_type, "device_id");
  EXPECT_EQ(s.report.skipped, 1u);
  ASSERT_EQ(s.bad.size(), 2u);
  EXPECT_EQ(s.bad[0].line, 4u);
  EXPECT_EQ(s.bad[0].reason, "not valid JSON");
  EXPECT_EQ(s.bad[1].line, 5u);
  EXPECT_NE(s.bad[1].reason.find("without a MAC"), std::string::npos) << s.bad[1].reason;
}

// JSON lines are streamed; a bad first line still leaves the good lines after it readable.
TEST(StoreReadersTest, ABadFirstJsonLineDoesNotHideTheRest) {
  testing::TempDir dir("store_readers");
  Read r = ReadText(
      dir, "events.jsonl",
      "{not json\n"
      R"({"type":"track","event":"Probe Seen","timestamp":"2026-08-29T10:01:53Z","properties":{"store_id":"st1","rssi":-60},"context":{"externalIds":[{"id":"4e:cf:00:1d:7c:c7","type":"mac"}]}})"
      "\n");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.obs.size(), 1u);
  ASSERT_EQ(r.bad.size(), 1u);
  EXPECT_EQ(r.bad[0].line, 1u);
}

TEST(StoreReadersTest, AnUnknownFileIsRefusedNamingItsFirstLine) {
  testing::TempDir dir("store_readers");
  Read r = ReadText(dir, "x.csv", "a,b,c\n1,2,3\n");
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status.message().find("'a,b,c'"), std::string::npos) << r.status.ToString();
  EXPECT_TRUE(r.obs.empty());
}

}  // namespace
}  // namespace holo::stores
