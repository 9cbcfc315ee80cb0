// IANA time zones for build-time conversion of local times (rule schedules) to UTC, read from the
// system tz database (TZif files under $TZDIR or /usr/share/zoneinfo, including the POSIX TZ
// footer for times after the last listed transition).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tailor::sync {

// A POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"): offsets east of UTC in seconds.
struct PosixRule {
  int32_t std_offset = 0;
  bool has_dst = false;
  int32_t dst_offset = 0;
  struct When {
    char kind = 'M';  // 'M' month.week.day, 'J' julian 1..365 without Feb 29, 'D' zero-based day 0..365
    int month = 0, week = 0, day = 0;
    int32_t time = 7200;  // seconds after local midnight (may be negative or > 24h)
  } start, end;
};

class TimeZone {
 public:
  // Loads `name` ("Europe/Berlin"). On failure returns nullopt and sets `why`.
  static std::optional<TimeZone> load(std::string_view name, std::string& why);
  // Parses TZif bytes (for tests).
  static std::optional<TimeZone> parse(std::string_view bytes, std::string& why);

  // UTC offset in seconds (east positive) in effect at unix time `t`.
  int32_t offset_at(int64_t t) const;

  enum class Fit { kExact, kGap, kOverlap };
  // The unix time at which the wall clock in this zone shows `local` (seconds since 1970-01-01
  // in local time). Gap (the clock jumps over it): the instant it would be had the clock not
  // jumped, i.e. later by the jump (02:30 on a spring-forward day is 03:30 summer time).
  // Overlap (shown twice): the earlier instant.
  int64_t to_utc(int64_t local, Fit* fit = nullptr) const;

 private:
  std::vector<int64_t> transitions_;  // unix times, ascending
  std::vector<uint8_t> type_of_;      // per transition: index into offsets_
  std::vector<int32_t> offsets_;      // per local time type
  std::optional<PosixRule> footer_;
};

// Parses a POSIX TZ string; nullopt when malformed.
std::optional<PosixRule> parse_posix_tz(std::string_view s);

// Parses a local date-time without offset: "2026-12-01T00:00" or "2026-12-01T00:00:00".
// Returns seconds since 1970-01-01T00:00 in local time, or nullopt.
std::optional<int64_t> parse_local_datetime(std::string_view s);

}  // namespace tailor::sync
