#include "timezone.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "timestamp.h"

namespace tailor::sync {
namespace {

constexpr int64_t kDay = 86400;

uint32_t be32(const unsigned char* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
int64_t be64(const unsigned char* p) { return static_cast<int64_t>(uint64_t(be32(p)) << 32 | be32(p + 4)); }

// A zone name as the tz database spells them: letters, digits, '_', '-', '+', '/' between parts,
// no empty or dot parts (so no path can leave the database directory).
bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '/' || name.back() == '/') return false;
  size_t part = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      if (part == 0 || name[i - part] == '.') return false;
      part = 0;
      continue;
    }
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
              c == '+' || c == '.';
    if (!ok) return false;
    ++part;
  }
  return true;
}

// ---- POSIX TZ strings ----

struct Cursor {
  std::string_view s;
  size_t i = 0;
  bool done() const { return i >= s.size(); }
  char peek() const { return done() ? '\0' : s[i]; }
};

bool parse_name(Cursor& c) {
  if (c.peek() == '<') {
    size_t end = c.s.find('>', c.i);
    if (end == std::string_view::npos) return false;
    c.i = end + 1;
    return true;
  }
  size_t start = c.i;
  while (!c.done() && ((c.peek() >= 'A' && c.peek() <= 'Z') || (c.peek() >= 'a' && c.peek() <= 'z'))) ++c.i;
  return c.i - start >= 3;
}

bool parse_number(Cursor& c, int lo, int hi, int& out) {
  size_t start = c.i;
  int v = 0;
  while (!c.done() && c.peek() >= '0' && c.peek() <= '9' && c.i - start < 4) v = v * 10 + (c.s[c.i++] - '0');
  if (c.i == start || v < lo || v > hi) return false;
  out = v;
  return true;
}

// [+-]hh[:mm[:ss]] in seconds (sign as written).
bool parse_hms(Cursor& c, int max_hours, int32_t& out) {
  int sign = 1;
  if (c.peek() == '+' || c.peek() == '-') sign = c.s[c.i++] == '-' ? -1 : 1;
  int h = 0, m = 0, s = 0;
  if (!parse_number(c, 0, max_hours, h)) return false;
  if (c.peek() == ':') {
    ++c.i;
    if (!parse_number(c, 0, 59, m)) return false;
    if (c.peek() == ':') {
      ++c.i;
      if (!parse_number(c, 0, 59, s)) return false;
    }
  }
  out = sign * (h * 3600 + m * 60 + s);
  return true;
}

bool parse_when(Cursor& c, PosixRule::When& w) {
  if (c.peek() == 'M') {
    ++c.i;
    w.kind = 'M';
    if (!parse_number(c, 1, 12, w.month) || c.peek() != '.') return false;
    ++c.i;
    if (!parse_number(c, 1, 5, w.week) || c.peek() != '.') return false;
    ++c.i;
    if (!parse_number(c, 0, 6, w.day)) return false;
  } else if (c.peek() == 'J') {
    ++c.i;
    w.kind = 'J';
    if (!parse_number(c, 1, 365, w.day)) return false;
  } else {
    w.kind = 'D';
    if (!parse_number(c, 0, 365, w.day)) return false;
  }
  w.time = 7200;
  if (c.peek() == '/') {
    ++c.i;
    if (!parse_hms(c, 167, w.time)) return false;
  }
  return true;
}

// Local midnight (days since epoch) of the rule's day in `year`.
int64_t rule_day(const PosixRule::When& w, int64_t year) {
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int64_t jan1 = days_from_civil(year, 1, 1);
  if (w.kind == 'J') return jan1 + w.day - 1 + (leap && w.day >= 60 ? 1 : 0);
  if (w.kind == 'D') return jan1 + w.day;
  int64_t first = days_from_civil(year, static_cast<unsigned>(w.month), 1);
  int64_t wday_first = ((first % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday (4)
  int64_t day = first + (w.day - wday_first + 7) % 7 + int64_t(w.week - 1) * 7;
  int64_t next_month = w.month == 12 ? days_from_civil(year + 1, 1, 1)
                                     : days_from_civil(year, static_cast<unsigned>(w.month + 1), 1);
  while (day >= next_month) day -= 7;  // week 5: the last such weekday
  return day;
}

int32_t posix_offset_at(const PosixRule& r, int64_t t) {
  if (!r.has_dst) return r.std_offset;
  int64_t y;
  unsigned m, d;
  civil_from_days((t + r.std_offset) / kDay - ((t + r.std_offset) % kDay < 0 ? 1 : 0), y, m, d);
  // Transitions happen at local time: the start at standard time, the end at daylight time.
  int64_t start = rule_day(r.start, y) * kDay + r.start.time - r.std_offset;
  int64_t end = rule_day(r.end, y) * kDay + r.end.time - r.dst_offset;
  bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? r.dst_offset : r.std_offset;
}

}  // namespace

std::optional<PosixRule> parse_posix_tz(std::string_view s) {
  Cursor c{s};
  PosixRule r;
  if (!parse_name(c)) return std::nullopt;
  int32_t off = 0;
  if (!parse_hms(c, 24, off)) return std::nullopt;
  r.std_offset = -off;  // POSIX counts west of UTC as positive
  if (c.done()) return r;
  if (!parse_name(c)) return std::nullopt;
  r.has_dst = true;
  r.dst_offset = r.std_offset + 3600;
  if (c.peek() != ',' && !c.done()) {
    if (!parse_hms(c, 24, off)) return std::nullopt;
    r.dst_offset = -off;
  }
  if (c.peek() != ',') return std::nullopt;  // no rule: unspecified by POSIX; tzdata always gives one
  ++c.i;
  if (!parse_when(c, r.start) || c.peek() != ',') return std::nullopt;
  ++c.i;
  if (!parse_when(c, r.end) || !c.done()) return std::nullopt;
  return r;
}

std::optional<int64_t> parse_local_datetime(std::string_view s) {
  auto num = [&](size_t pos, size_t n, unsigned& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + unsigned(s[i] - '0');
    }
    return true;
  };
  unsigned y, mo, d, h, mi, sec = 0;
  if (s.size() != 16 && s.size() != 19) return std::nullopt;
  if (!num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d) || s[10] != 'T' ||
      !num(11, 2, h) || s[13] != ':' || !num(14, 2, mi))
    return std::nullopt;
  if (s.size() == 19 && (s[16] != ':' || !num(17, 2, sec))) return std::nullopt;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  int64_t days = days_from_civil(y, mo, d);
  int64_t yy;
  unsigned mm, dd;
  civil_from_days(days, yy, mm, dd);
  if (mm != mo || dd != d) return std::nullopt;  // 2026-02-30
  return days * kDay + h * 3600 + mi * 60 + sec;
}

std::optional<TimeZone> TimeZone::parse(std::string_view bytes, std::string& why) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  auto header = [&](size_t at, uint32_t cnt[6]) {
    if (at + 44 > n || bytes.substr(at, 4) != "TZif") return false;
    for (int k = 0; k < 6; ++k) cnt[k] = be32(p + at + 20 + 4 * k);
    return true;
  };
  uint32_t cnt[6];
  if (!header(0, cnt)) {
    why = "not a TZif file";
    return std::nullopt;
  }
  const char version = bytes[4];
  // cnt: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  auto block_size = [&](const uint32_t c[6], size_t time_size) {
    return size_t(c[3]) * time_size + c[3] + size_t(c[4]) * 6 + c[5] + size_t(c[2]) * (time_size + 4) + c[1] + c[0];
  };
  size_t at = 44;
  size_t time_size = 4;
  if (version >= '2') {
    at += block_size(cnt, 4);
    if (!header(at, cnt)) {
      why = "truncated TZif file";
      return std::nullopt;
    }
    at += 44;
    time_size = 8;
  }
  if (at + block_size(cnt, time_size) > n || cnt[4] == 0 || cnt[4] > 256) {
    why = "truncated TZif file";
    return std::nullopt;
  }
  TimeZone tz;
  const uint32_t timecnt = cnt[3], typecnt = cnt[4];
  for (uint32_t k = 0; k < timecnt; ++k)
    tz.transitions_.push_back(time_size == 8 ? be64(p + at + 8 * k) : static_cast<int32_t>(be32(p + at + 4 * k)));
  at += size_t(timecnt) * time_size;
  for (uint32_t k = 0; k < timecnt; ++k) {
    if (p[at + k] >= typecnt) {
      why = "corrupt TZif file";
      return std::nullopt;
    }
    tz.type_of_.push_back(p[at + k]);
  }
  at += timecnt;
  for (uint32_t k = 0; k < typecnt; ++k) tz.offsets_.push_back(static_cast<int32_t>(be32(p + at + 6 * k)));
  at += block_size(cnt, time_size) - size_t(timecnt) * (time_size + 1);
  if (version >= '2' && at < n && bytes[at] == '\n') {
    size_t end = bytes.find('\n', at + 1);
    if (end != std::string_view::npos && end > at + 1) {
      tz.footer_ = parse_posix_tz(bytes.substr(at + 1, end - at - 1));
      if (!tz.footer_) {
        why = "unsupported TZ rule in TZif footer";
        return std::nullopt;
      }
    }
  }
  return tz;
}

std::optional<TimeZone> TimeZone::load(std::string_view name, std::string& why) {
  const char* dir = std::getenv("TZDIR");
  std::filesystem::path base = dir && *dir ? dir : "/usr/share/zoneinfo";
  if (!valid_zone_name(name)) {
    why = "is not a time zone name (IANA, e.g. \"Europe/Berlin\")";
    return std::nullopt;
  }
  std::ifstream f(base / std::string(name), std::ios::binary);
  std::ostringstream ss;
  if (f) ss << f.rdbuf();
  std::string bytes = ss.str();
  if (!f || bytes.size() < 4 || bytes.compare(0, 4, "TZif") != 0) {
    why = "unknown time zone (not in the tz database at " + base.string() + "; install tzdata)";
    return std::nullopt;
  }
  auto tz = parse(bytes, why);
  if (!tz) why = "time zone file is unreadable: " + why;
  return tz;
}

int32_t TimeZone::offset_at(int64_t t) const {
  if (transitions_.empty() || t >= transitions_.back()) {
    if (footer_) return posix_offset_at(*footer_, t);
    if (transitions_.empty()) return offsets_[0];
    return offsets_[type_of_.back()];
  }
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  if (it == transitions_.begin()) return offsets_[0];
  return offsets_[type_of_[size_t(it - transitions_.begin()) - 1]];
}

int64_t TimeZone::to_utc(int64_t local, Fit* fit) const {
  // Candidates: every offset this zone has used; keep those consistent with the result.
  std::vector<int32_t> offs = offsets_;
  if (footer_) {
    offs.push_back(footer_->std_offset);
    if (footer_->has_dst) offs.push_back(footer_->dst_offset);
  }
  std::sort(offs.begin(), offs.end());
  offs.erase(std::unique(offs.begin(), offs.end()), offs.end());
  std::vector<int64_t> hits;
  for (int32_t o : offs)
    if (offset_at(local - o) == o) hits.push_back(local - o);
  std::sort(hits.begin(), hits.end());
  if (hits.size() == 1) {
    if (fit) *fit = Fit::kExact;
    return hits[0];
  }
  if (hits.size() > 1) {
    if (fit) *fit = Fit::kOverlap;
    return hits[0];
  }
  // Gap: the wall clock skipped `local`. Read it with the offset before the jump (a day earlier
  // is before it: zones never change twice within a day).
  if (fit) *fit = Fit::kGap;
  return local - offset_at(local - kDay);
}

}  // namespace tailor::sync
