#include "common/time_util.h"

#include <gtest/gtest.h>

#include <string>

namespace holo {
namespace {

// 2026-09-01T12:34:56Z
constexpr int64_t kBase = 1788266096000;

int64_t ParseOk(std::string_view s) {
  Result<int64_t> r = ParseIso8601Ms(s);
  EXPECT_TRUE(r.ok()) << s << ": " << r.status().ToString();
  return r.ok() ? *r : -1;
}

std::string ParseError(std::string_view s) {
  Result<int64_t> r = ParseIso8601Ms(s);
  EXPECT_FALSE(r.ok()) << s << " parsed as " << (r.ok() ? *r : 0);
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(TimeUtilTest, ParsesUtc) {
  EXPECT_EQ(ParseOk("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseOk("2026-09-01T12:34:56Z"), kBase);
  EXPECT_EQ(ParseOk("2026-09-01t12:34:56z"), kBase);
  EXPECT_EQ(ParseOk("2026-09-01 12:34:56Z"), kBase);
  EXPECT_EQ(ParseOk("2000-02-29T00:00:00Z"), 951782400000);
  EXPECT_EQ(ParseOk("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(ParseOk("1900-01-01T00:00:00Z"), -2208988800000);
}

TEST(TimeUtilTest, MissingZoneIsUtc) {
  EXPECT_EQ(ParseOk("2026-09-01T12:34:56"), kBase);
  EXPECT_EQ(ParseOk("2026-09-01 12:34:56.5"), kBase + 500);
}

TEST(TimeUtilTest, FractionsOfAnyLength) {
  EXPECT_EQ(ParseOk("2026-09-01T12:34:56.7Z"), kBase + 700);
  EXPECT_EQ(ParseOk("2026-09-01T12:34:56.78Z"), kBase + 780);
  EXPECT_EQ(ParseOk("2026-09-01T12:34:56.789Z"), kBase + 789);
  EXPECT_EQ(ParseOk("2026-09-01T12:34:56.789123Z"), kBase + 789);  // truncated
  EXPECT_EQ(ParseOk("2026-09-01T12:34:56.999999999Z"), kBase + 999);
  EXPECT_EQ(ParseOk("2026-09-01T12:34:56.000Z"), kBase);
}

TEST(TimeUtilTest, Offsets) {
  EXPECT_EQ(ParseOk("2026-09-01T20:34:56+08:00"), kBase);
  EXPECT_EQ(ParseOk("2026-09-01T20:34:56+0800"), kBase);
  EXPECT_EQ(ParseOk("2026-09-01T07:04:56-0530"), kBase);
  EXPECT_EQ(ParseOk("2026-09-01T07:04:56.250-05:30"), kBase + 250);
  EXPECT_EQ(ParseOk("2026-09-01T12:34:56+00:00"), kBase);
  // Offset crossing a date boundary.
  EXPECT_EQ(ParseOk("2026-09-02T01:34:56+13:00"), kBase);
}

TEST(TimeUtilTest, RejectsBadInput) {
  EXPECT_EQ(ParseError("2026-13-01"), "month out of range");
  EXPECT_EQ(ParseError("2026-13-01T00:00:00Z"), "month out of range");
  EXPECT_EQ(ParseError("2026-00-01T00:00:00Z"), "month out of range");
  EXPECT_EQ(ParseError("2026-04-31T00:00:00Z"), "day out of range");
  EXPECT_EQ(ParseError("2026-02-29T00:00:00Z"), "day out of range");
  EXPECT_EQ(ParseError("2026-01-00T00:00:00Z"), "day out of range");
  EXPECT_EQ(ParseError("2026-09-01T24:00:00Z"), "hour out of range");
  EXPECT_EQ(ParseError("2026-09-01T12:60:00Z"), "minute out of range");
  EXPECT_EQ(ParseError("2026-09-01T12:34:60Z"), "second out of range");
  EXPECT_EQ(ParseError("2026-09-01T12:34:56Zjunk"), "trailing characters after time");
  EXPECT_EQ(ParseError("2026-09-01T12:34:56+08:00 "), "trailing characters after time");
  EXPECT_EQ(ParseError("2026-09-01T12:34:56+24:00"), "offset hour out of range");
  EXPECT_EQ(ParseError("2026-09-01T12:34:56+08:60"), "offset minute out of range");
  EXPECT_EQ(ParseError(""), "empty time");
  EXPECT_NE(ParseError("2026-09-01"), "");
  EXPECT_NE(ParseError("2026-09-01T12:34Z"), "");
  EXPECT_NE(ParseError("2026-09-01T12:34:56+08"), "");
  EXPECT_NE(ParseError("2026-09-01T12:34:56."), "");
  EXPECT_NE(ParseError("2026-09-01X12:34:56Z"), "");
  EXPECT_NE(ParseError("26-09-01T12:34:56Z"), "");
  EXPECT_NE(ParseError("2026-9-01T12:34:56Z"), "");
  EXPECT_NE(ParseError("1788266096000"), "");
  EXPECT_NE(ParseError("yesterday"), "");
  EXPECT_NE(ParseError(" 2026-09-01T12:34:56Z"), "");
}

TEST(TimeUtilTest, Formats) {
  EXPECT_EQ(FormatIso8601Ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601Ms(kBase + 789), "2026-09-01T12:34:56.789Z");
  EXPECT_EQ(FormatIso8601Ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601Ms(951782400000), "2000-02-29T00:00:00.000Z");
}

TEST(TimeUtilTest, RoundTripsAcrossCenturies) {
  // Every day-ish step from 1600 to 2400, with a varying time of day.
  for (int64_t ms = -11676096000000; ms < 13569465600000; ms += 86'399'937) {
    std::string s = FormatIso8601Ms(ms);
    ASSERT_EQ(ParseOk(s), ms) << s;
  }
}

TEST(TimeUtilTest, CivilDaysInverse) {
  for (int64_t d = -800000; d <= 800000; d += 7) {
    CivilDate c = CivilFromDays(d);
    ASSERT_EQ(DaysFromCivil(c.year, c.month, c.day), d);
  }
  EXPECT_EQ(DaysInMonth(2024, 2), 29u);
  EXPECT_EQ(DaysInMonth(1900, 2), 28u);
  EXPECT_EQ(DaysInMonth(2000, 2), 29u);
}

}  // namespace
}  // namespace holo
