#include "timestamp.h"

#include <charconv>
#include <cstdio>

#include "errors.h"

namespace tailor::sync {

namespace {

bool digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<int64_t> parse_rfc3339(std::string_view s) {
  unsigned y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    unsigned oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset = (s[pos] == '+' ? 1 : -1) * static_cast<int64_t>(oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  if (sec == 60) sec = 59;  // a leap second is stored as the second before it
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
}

bool timestamp_in_range(int64_t t, std::string& why) {
  if (t < 0) {
    why = std::to_string(t) + " is before 1970";
    return false;
  }
  if (t > kMaxTimestamp) {
    why = std::to_string(t) + " is after the year 9999 (unix seconds expected, not milliseconds)";
    return false;
  }
  return true;
}

std::optional<int64_t> parse_timestamp(std::string_view s, std::string& why) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  int64_t t = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), t);
  if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) {
    if (!timestamp_in_range(t, why)) return std::nullopt;
    return t;
  }
  if (auto r = parse_rfc3339(s)) {
    if (!timestamp_in_range(*r, why)) return std::nullopt;
    return r;
  }
  why = quote_value(s) + " is not a timestamp (unix seconds or RFC 3339 like 2025-11-20T00:00:00Z)";
  return std::nullopt;
}

std::string format_compact_utc(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t rem = t - days * 86400;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld%02u%02uT%02d%02d%02dZ", static_cast<long long>(y), m, d,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  return buf;
}

std::string format_rfc3339(int64_t t) {
  std::string c = format_compact_utc(t);  // YYYYMMDDTHHMMSSZ
  if (c.size() != 16) return c;
  return c.substr(0, 4) + "-" + c.substr(4, 2) + "-" + c.substr(6, 2) + "T" + c.substr(9, 2) + ":" +
         c.substr(11, 2) + ":" + c.substr(13, 2) + "Z";
}

}  // namespace tailor::sync
