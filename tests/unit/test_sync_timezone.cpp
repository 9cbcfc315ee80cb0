// Rule schedules in a time zone: local times converted to UTC at build time from the system tz
// database, across DST changes (gaps and overlaps), in both hemispheres and past the last
// transition listed in the TZif file (POSIX footer rule).
#include <doctest/doctest.h>

#include "tailor/engine.h"
#include "tailor/snapshot.h"
#include "test_sync_helpers.h"
#include "timestamp.h"
#include "timezone.h"

using namespace tailor;
using namespace tailor::sync;
using namespace tailor::sync::test;
using nlohmann::json;

namespace {

int64_t utc(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

int64_t local_to_utc(const char* zone, const char* local, TimeZone::Fit* fit = nullptr) {
  std::string why;
  auto tz = TimeZone::load(zone, why);
  INFO(why);
  REQUIRE(tz);
  auto l = parse_local_datetime(local);
  REQUIRE(l);
  return tz->to_utc(*l, fit);
}

}  // namespace

TEST_CASE("timezone: local times in Europe/Berlin, winter and summer") {
  CHECK(local_to_utc("Europe/Berlin", "2026-12-01T00:00") == utc("2026-11-30T23:00:00Z"));
  CHECK(local_to_utc("Europe/Berlin", "2026-07-01T12:00:30") == utc("2026-07-01T10:00:30Z"));
  CHECK(local_to_utc("UTC", "2026-07-01T12:00") == utc("2026-07-01T12:00:00Z"));
  CHECK(local_to_utc("America/New_York", "2026-01-15T09:00") == utc("2026-01-15T14:00:00Z"));
  CHECK(local_to_utc("Asia/Kolkata", "2026-01-15T09:00") == utc("2026-01-15T03:30:00Z"));
}

TEST_CASE("timezone: DST gaps move forward, overlaps take the earlier instant") {
  TimeZone::Fit fit;
  // 2026-03-29 02:00 CET -> 03:00 CEST: 02:30 does not exist; it reads as 03:30 CEST.
  CHECK(local_to_utc("Europe/Berlin", "2026-03-29T02:30", &fit) == utc("2026-03-29T01:30:00Z"));
  CHECK(fit == TimeZone::Fit::kGap);
  CHECK(local_to_utc("Europe/Berlin", "2026-03-29T01:59", &fit) == utc("2026-03-29T00:59:00Z"));
  CHECK(fit == TimeZone::Fit::kExact);
  CHECK(local_to_utc("Europe/Berlin", "2026-03-29T03:00", &fit) == utc("2026-03-29T01:00:00Z"));
  CHECK(fit == TimeZone::Fit::kExact);
  // 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice; the first (CEST) wins.
  CHECK(local_to_utc("Europe/Berlin", "2026-10-25T02:30", &fit) == utc("2026-10-25T00:30:00Z"));
  CHECK(fit == TimeZone::Fit::kOverlap);
  // New York: 2026-03-08 02:00 EST -> 03:00 EDT.
  CHECK(local_to_utc("America/New_York", "2026-03-08T02:30", &fit) == utc("2026-03-08T07:30:00Z"));
  CHECK(fit == TimeZone::Fit::kGap);
  // Southern hemisphere: Sydney is on daylight time (+11) in January, standard (+10) in July.
  CHECK(local_to_utc("Australia/Sydney", "2026-01-15T10:00") == utc("2026-01-14T23:00:00Z"));
  CHECK(local_to_utc("Australia/Sydney", "2026-07-15T10:00") == utc("2026-07-15T00:00:00Z"));
  // 2026-04-05 03:00 AEDT -> 02:00 AEST: 02:30 twice.
  CHECK(local_to_utc("Australia/Sydney", "2026-04-05T02:30", &fit) == utc("2026-04-04T15:30:00Z"));
  CHECK(fit == TimeZone::Fit::kOverlap);
}

TEST_CASE("timezone: past the TZif transitions the POSIX rule decides") {
  // Fat TZif files list transitions to 2037; slim ones stop much earlier. Either way 2050 is
  // decided by the footer "CET-1CEST,M3.5.0,M10.5.0/3".
  CHECK(local_to_utc("Europe/Berlin", "2050-07-01T12:00") == utc("2050-07-01T10:00:00Z"));
  CHECK(local_to_utc("Europe/Berlin", "2050-12-01T12:00") == utc("2050-12-01T11:00:00Z"));
  TimeZone::Fit fit;
  CHECK(local_to_utc("Europe/Berlin", "2050-03-27T02:30", &fit) == utc("2050-03-27T01:30:00Z"));  // last Sunday of March
  CHECK(fit == TimeZone::Fit::kGap);

  auto r = parse_posix_tz("CET-1CEST,M3.5.0,M10.5.0/3");
  REQUIRE(r);
  CHECK(r->std_offset == 3600);
  CHECK(r->dst_offset == 7200);
  CHECK(r->end.time == 3 * 3600);
  auto r2 = parse_posix_tz("<+0330>-3:30");
  REQUIRE(r2);
  CHECK(r2->std_offset == 3 * 3600 + 1800);
  CHECK_FALSE(r2->has_dst);
  CHECK_FALSE(parse_posix_tz("CET-1CEST,M13.5.0,M10.5.0"));
  CHECK_FALSE(parse_posix_tz(""));
}

TEST_CASE("timezone: local date-time syntax and zone names") {
  CHECK(parse_local_datetime("2026-12-01T00:00") == utc("2026-12-01T00:00:00Z"));
  CHECK_FALSE(parse_local_datetime("2026-12-01T00:00Z"));
  CHECK_FALSE(parse_local_datetime("2026-12-01T00:00:00+01:00"));
  CHECK_FALSE(parse_local_datetime("2026-02-30T00:00"));
  CHECK_FALSE(parse_local_datetime("2026-12-01 00:00"));
  std::string why;
  CHECK_FALSE(TimeZone::load("Europe/Berln", why));
  CHECK(why.find("unknown time zone") != std::string::npos);
  CHECK_FALSE(TimeZone::load("../../etc/passwd", why));
  CHECK(why.find("is not a time zone name") != std::string::npos);
  CHECK_FALSE(TimeZone::load("/etc/localtime", why));
  CHECK_FALSE(TimeZone::parse("TZif", why));
}

TEST_CASE("timezone: a rule scheduled in Berlin time fires across the DST change") {
  TempDir dir;
  write_fixture(dir);
  json cfg = fixture_config();
  // Boost B0 from Saturday noon to Monday noon Berlin time, over the spring-forward night.
  cfg["rules"][0] = json::parse(R"({"id": "boost-sale", "action": "boost", "amount": 1, "match": {"items": ["B0"]},
      "schedule": {"starts_at": "2026-03-28T12:00", "ends_at": "2026-03-30T12:00", "time_zone": "Europe/Berlin"}})");
  BuildRun run = build_in(dir, cfg);
  INFO(joined(run.errors));
  REQUIRE(run.ok);
  auto snap = Snapshot::open(run.snap.bytes);
  REQUIRE(snap.ok());
  const fb::Rule* rule = snap->root().rules()->Get(0);
  CHECK(rule->starts_at() == utc("2026-03-28T11:00:00Z"));  // CET, +1
  CHECK(rule->ends_at() == utc("2026-03-30T10:00:00Z"));    // CEST, +2

  Engine engine;
  REQUIRE(engine.load_snapshot(run.snap.bytes).ok());
  auto boosted = [&](int64_t now) {
    std::string req = R"({"slots": ["home"], "site": "eu", "now": )" + std::to_string(now) + "}";
    REQUIRE(engine.decide(req, {}).ok());
    return engine.output().find("\"boost-sale\"") != std::string::npos;
  };
  CHECK_FALSE(boosted(utc("2026-03-28T10:59:59Z")));
  CHECK(boosted(utc("2026-03-28T11:00:00Z")));
  CHECK(boosted(utc("2026-03-30T09:59:59Z")));
  CHECK_FALSE(boosted(utc("2026-03-30T10:00:00Z")));
}

TEST_CASE("timezone: bad schedules fail the build with a located message") {
  auto expect = [](const json& schedule, const std::string& needle) {
    TempDir dir;
    write_fixture(dir);
    json cfg = fixture_config();
    cfg["rules"][0]["schedule"] = schedule;
    BuildRun run = build_in(dir, cfg);
    INFO(joined(run.errors));
    CHECK_FALSE(run.ok);
    CHECK(has_error(run.errors, needle));
  };
  expect(json::parse(R"({"starts_at": "2026-12-01T00:00", "time_zone": "Europe/Berln"})"),
         "tailor.json: rules[0].schedule.time_zone: 'Europe/Berln' unknown time zone");
  expect(json::parse(R"({"starts_at": "2026-12-01T00:00:00Z", "time_zone": "Europe/Berlin"})"),
         "tailor.json: rules[0].schedule.starts_at: with time_zone, expected a local date-time");
  expect(json::parse(R"({"ends_at": 1790000000, "time_zone": "Europe/Berlin"})"),
         "tailor.json: rules[0].schedule.ends_at: with time_zone, expected a local date-time");
  expect(json::parse(R"({"starts_at": "2026-12-02T00:00", "ends_at": "2026-12-01T00:00", "time_zone": "Europe/Berlin"})"),
         "tailor.json: rules[0].schedule: ends_at is not after starts_at");
  expect(json::parse(R"({"start": "2026-12-01T00:00:00Z", "starts_at": "2026-12-01T00:00:00Z"})"),
         "tailor.json: rules[0].schedule.starts_at: give start or starts_at, not both");
  expect(json::parse(R"({"starts_at": "2026-12-01T00:00", "tz": "Europe/Berlin"})"),
         "tailor.json: rules[0].schedule.tz: unknown field");
  // UTC bounds under either name keep working.
  TempDir dir;
  write_fixture(dir);
  json cfg = fixture_config();
  cfg["rules"][0]["schedule"] = json::parse(R"({"starts_at": "2026-12-01T00:00:00Z", "ends_at": 1798761600})");
  BuildRun run = build_in(dir, cfg);
  INFO(joined(run.errors));
  CHECK(run.ok);
}
