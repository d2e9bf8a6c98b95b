#include "common/time_util.h"

#include <chrono>
#include <cstdio>

namespace holo {
namespace {

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr int64_t kMsPerDay = 24 * kMsPerHour;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Cursor over the input; every Read* returns false without consuming on mismatch.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  bool AtEnd() const { return pos_ == s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  void Skip() { ++pos_; }

  // Reads exactly `n` digits into *out.
  bool ReadDigits(int n, unsigned* out) {
    if (s_.size() - pos_ < static_cast<size_t>(n)) return false;
    unsigned v = 0;
    for (int i = 0; i < n; ++i) {
      char c = s_[pos_ + i];
      if (!IsDigit(c)) return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    pos_ += n;
    *out = v;
    return true;
  }

  bool ReadChar(char c) {
    if (Peek() != c || AtEnd()) return false;
    ++pos_;
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

Status Bad(const char* reason) { return Status::InvalidArgument(reason); }

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);            // [0, 399]
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           // [0, 146096]
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);                // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                       // [0, 11]
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;               // [1, 31]
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;                  // [1, 12]
  return CivilDate{y + (m <= 2), m, d};
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && IsLeapYear(y)) return 29;
  return kDays[(m - 1) % 12];
}

Result<int64_t> ParseIso8601Ms(std::string_view text) {
  if (text.empty()) return Bad("empty time");
  Scanner sc(text);
  unsigned year, month, day, hour, minute, second;

  if (!sc.ReadDigits(4, &year)) return Bad("expected a four-digit year");
  if (!sc.ReadChar('-')) return Bad("expected '-' after year");
  if (!sc.ReadDigits(2, &month)) return Bad("expected a two-digit month");
  if (month < 1 || month > 12) return Bad("month out of range");
  if (!sc.ReadChar('-')) return Bad("expected '-' after month");
  if (!sc.ReadDigits(2, &day)) return Bad("expected a two-digit day");
  if (day < 1 || day > DaysInMonth(year, month)) return Bad("day out of range");

  if (sc.AtEnd()) return Bad("missing time (expected 'T' or ' ' after the date)");
  if (!sc.ReadChar('T') && !sc.ReadChar('t') && !sc.ReadChar(' ')) {
    return Bad("expected 'T' or ' ' after the date");
  }
  if (!sc.ReadDigits(2, &hour)) return Bad("expected a two-digit hour");
  if (hour > 23) return Bad("hour out of range");
  if (!sc.ReadChar(':')) return Bad("expected ':' after hour");
  if (!sc.ReadDigits(2, &minute)) return Bad("expected a two-digit minute");
  if (minute > 59) return Bad("minute out of range");
  if (!sc.ReadChar(':')) return Bad("expected ':' after minute");
  if (!sc.ReadDigits(2, &second)) return Bad("expected a two-digit second");
  if (second > 59) return Bad("second out of range");

  int64_t millis = 0;
  if (sc.ReadChar('.')) {
    if (!IsDigit(sc.Peek())) return Bad("expected digits after the decimal point");
    int n = 0;
    while (IsDigit(sc.Peek())) {
      if (n < 3) millis = millis * 10 + (sc.Peek() - '0');
      ++n;
      sc.Skip();
    }
    for (; n < 3; ++n) millis *= 10;
  }

  int64_t offset_ms = 0;
  if (sc.ReadChar('Z') || sc.ReadChar('z')) {
    // UTC.
  } else if (sc.Peek() == '+' || sc.Peek() == '-') {
    const int sign = sc.Peek() == '-' ? -1 : 1;
    sc.Skip();
    unsigned oh, om;
    if (!sc.ReadDigits(2, &oh)) return Bad("expected a two-digit offset hour");
    if (oh > 23) return Bad("offset hour out of range");
    sc.ReadChar(':');  // optional: +08:00 and +0800 are both accepted
    if (!sc.ReadDigits(2, &om)) return Bad("expected offset minutes (+hh:mm or +hhmm)");
    if (om > 59) return Bad("offset minute out of range");
    offset_ms = sign * (oh * kMsPerHour + om * kMsPerMinute);
  } else if (!sc.AtEnd()) {
    return Bad("unexpected characters after seconds (expected fraction, 'Z' or an offset)");
  }
  if (!sc.AtEnd()) return Bad("trailing characters after time");

  const int64_t days = DaysFromCivil(year, month, day);
  return days * kMsPerDay + hour * kMsPerHour + minute * kMsPerMinute + second * kMsPerSecond +
         millis - offset_ms;
}

std::string FormatIso8601Ms(int64_t ms) {
  int64_t days = ms / kMsPerDay;
  int64_t rem = ms % kMsPerDay;
  if (rem < 0) {
    rem += kMsPerDay;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  const int64_t hour = rem / kMsPerHour;
  const int64_t minute = rem / kMsPerMinute % 60;
  const int64_t second = rem / kMsPerSecond % 60;
  const int64_t millis = rem % kMsPerSecond;
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                        static_cast<long long>(date.year), date.month, date.day,
                        static_cast<long long>(hour), static_cast<long long>(minute),
                        static_cast<long long>(second), static_cast<long long>(millis));
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace holo
