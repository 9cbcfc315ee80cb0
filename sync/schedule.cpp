#include "schedule.h"

#include "config_reader.h"
#include "timezone.h"

namespace tailor::sync {
namespace {

using nlohmann::json;

// The bound under either spelling ("start" or "starts_at"); reports both given.
const char* bound_key(ConfigReader& r, const json& s, const std::string& path, const char* a, const char* b) {
  bool has_a = s.contains(a) && !s[a].is_null(), has_b = s.contains(b) && !s[b].is_null();
  if (has_a && has_b) r.error(at(path, b), std::string("give ") + a + " or " + b + ", not both");
  return has_b ? b : a;
}

std::optional<int64_t> local_bound(ConfigReader& r, const json& s, const char* key, const std::string& path,
                                   const TimeZone& tz) {
  const json* v = r.member(s, key, path, false);
  if (!v) return std::nullopt;
  std::optional<int64_t> local;
  if (v->is_string()) local = parse_local_datetime(*v->get_ptr<const std::string*>());
  if (!local) {
    r.error(at(path, key), std::string("with time_zone, expected a local date-time \"YYYY-MM-DDTHH:MM[:SS]\" without "
                                       "offset, got ") + (v->is_string() ? quote_value(*v->get_ptr<const std::string*>()) : v->type_name()));
    return std::nullopt;
  }
  return tz.to_utc(*local);
}

}  // namespace

void parse_schedule(ConfigReader& r, const json& s, const std::string& sp, int64_t& starts_at, int64_t& ends_at) {
  if (!r.object(s, sp, {"start", "end", "starts_at", "ends_at", "time_zone"})) return;
  const char* start_key = bound_key(r, s, sp, "start", "starts_at");
  const char* end_key = bound_key(r, s, sp, "end", "ends_at");
  std::optional<int64_t> start, end;
  if (auto zone = r.text(s, "time_zone", sp)) {
    std::string why;
    auto tz = TimeZone::load(*zone, why);
    if (!tz) {
      r.error(at(sp, "time_zone"), quote_value(*zone) + " " + why);
      return;
    }
    start = local_bound(r, s, start_key, sp, *tz);
    end = local_bound(r, s, end_key, sp, *tz);
  } else {
    start = r.timestamp(s, start_key, sp);
    end = r.timestamp(s, end_key, sp);
  }
  if (start && end && *end <= *start) r.error(sp, std::string(end_key) + " is not after " + start_key);
  starts_at = start.value_or(0);
  ends_at = end.value_or(0);
}

}  // namespace tailor::sync
