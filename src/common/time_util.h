// time_util: ISO-8601 timestamps <-> Unix milliseconds, with civil-calendar arithmetic done by
// hand (no timegm, no locale, no time zone database), so results never depend on the host.
//
//   HOLO_ASSIGN_OR_RETURN(int64_t ms, ParseIso8601Ms("2026-09-01T12:34:56.789+08:00"));
//   std::string s = FormatIso8601Ms(ms);  // "2026-09-01T04:34:56.789Z"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "holo/result.h"

namespace holo {

// Parses an ISO-8601 / RFC 3339 date-time into milliseconds since the Unix epoch (UTC).
//
// Accepted:  YYYY-MM-DD('T'|'t'|' ')hh:mm:ss[.fraction][zone]
//   fraction: one or more digits, any length; digits past milliseconds are truncated.
//   zone:     'Z' | 'z' | ('+'|'-')hh:mm | ('+'|'-')hhmm; a missing zone means UTC.
// Everything else is rejected (date-only, hh:mm without seconds, "+08" without minutes,
// trailing characters, out-of-range fields, day 31 in a 30-day month, Feb 29 in a common year,
// leap second 60).
//
// On error returns kInvalidArgument whose message is a short reason without the input, e.g.
// "month out of range", "expected ':' after hour", "trailing characters after time";
// callers add the field name and value ("bad timestamp '2026-13-01': month out of range").
Result<int64_t> ParseIso8601Ms(std::string_view text);

// Returns `ms` (Unix milliseconds) as "YYYY-MM-DDThh:mm:ss.mmmZ", always with three fraction
// digits and 'Z'. Years outside 0000..9999 are printed with as many digits as they need
// (and a leading '-' for negative years); ParseIso8601Ms accepts only four-digit years.
std::string FormatIso8601Ms(int64_t ms);

// The wall clock, ms since the Unix epoch.
int64_t NowMs();

// Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12, d 1..31; not validated).
// After Howard Hinnant's days_from_civil.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};
// Inverse of DaysFromCivil.
CivilDate CivilFromDays(int64_t days);

// Returns true for Gregorian leap years.
constexpr bool IsLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

// Returns the number of days in month `m` (1..12) of year `y`.
unsigned DaysInMonth(int64_t y, unsigned m);

}  // namespace holo
