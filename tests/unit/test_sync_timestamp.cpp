// Timestamps: RFC 3339 and unix seconds, the default version label.
#include <doctest/doctest.h>

#include "timestamp.h"

using namespace tailor::sync;

TEST_CASE("sync timestamp: RFC 3339 forms") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339("2025-11-20T00:00:00Z") == 1763596800);
  CHECK(parse_rfc3339("2025-11-20T02:00:00+02:00") == 1763596800);
  CHECK(parse_rfc3339("2025-11-19T19:00:00-05:00") == 1763596800);
  CHECK(parse_rfc3339("2025-11-20t00:00:00.999z") == 1763596800);
  CHECK(parse_rfc3339("2024-02-29T12:00:00Z") == 1709208000);
  CHECK_FALSE(parse_rfc3339("2025-02-29T00:00:00Z"));  // not a leap year
  CHECK_FALSE(parse_rfc3339("2025-13-01T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2025-11-20T24:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2025-11-20T00:00:00"));  // no zone
  CHECK_FALSE(parse_rfc3339("2025-11-20"));
  CHECK_FALSE(parse_rfc3339("2025-11-20T00:00:00Zjunk"));
}

TEST_CASE("sync timestamp: seconds, ranges and messages") {
  std::string why;
  CHECK(parse_timestamp(" 1763596800 ", why) == 1763596800);
  CHECK(parse_timestamp("2025-11-20T00:00:00Z", why) == 1763596800);
  CHECK_FALSE(parse_timestamp("1763596800000", why));
  CHECK(why.find("not milliseconds") != std::string::npos);
  CHECK_FALSE(parse_timestamp("-5", why));
  CHECK(why.find("before 1970") != std::string::npos);
  CHECK_FALSE(parse_timestamp("yesterday", why));
  CHECK(why == "'yesterday' is not a timestamp (unix seconds or RFC 3339 like 2025-11-20T00:00:00Z)");
}

TEST_CASE("sync timestamp: formatting") {
  CHECK(format_compact_utc(1763596800) == "20251120T000000Z");
  CHECK(format_compact_utc(1709208000 + 3723) == "20240229T130203Z");
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(1763596800) == "2025-11-20T00:00:00Z");
}
