#include "events.h"

namespace tailor::sync {

double event_weight(EventType type) {
  switch (type) {
    case EventType::kView: return 1.0;
    case EventType::kCart: return 3.0;
    case EventType::kPurchase: return 5.0;
    case EventType::kSearch: return 2.0;
    default: return 0.0;
  }
}

bool parse_event(const Record& r, Event& e, ErrorList& errors) {
  e = Event();
  e.line = r.where().pos;
  bool ok = true;
  auto require = [&](Field f, const char* key) {
    if (f == Field::kMissing) field_error(r, key, "is required", errors);
    ok = ok && f == Field::kOk;
  };
  require(read_text(r, "user", e.user, errors), "user");
  std::string type;
  Field tf = read_text(r, "type", type, errors);
  require(tf, "type");
  require(read_timestamp(r, "ts", e.ts, errors), "ts");
  if (tf != Field::kOk) return false;
  if (type == "view") e.type = EventType::kView;
  else if (type == "cart") e.type = EventType::kCart;
  else if (type == "purchase") e.type = EventType::kPurchase;
  else if (type == "consent") e.type = EventType::kConsent;
  else if (type == "identify") e.type = EventType::kIdentify;
  else if (type == "search") e.type = EventType::kSearch;
  else {
    field_error(r, "type", "unknown event type " + quote_value(type) +
                               " (expected one of: view, cart, purchase, search, consent, identify)",
                errors);
    return false;
  }
  switch (e.type) {
    case EventType::kView:
    case EventType::kCart:
    case EventType::kPurchase:
      require(read_text(r, "item", e.item, errors), "item");
      break;
    case EventType::kSearch:
      require(read_text(r, "query", e.query, errors), "query");
      break;
    case EventType::kConsent: {
      // Required, and may be empty: [] withdraws every purpose.
      const Value* v = r.find("purposes");
      if (!v || v->kind == Value::Kind::kMissing) {
        field_error(r, "purposes", "is required (an array of purposes, [] to withdraw consent)", errors);
        ok = false;
      } else {
        ok = read_list(r, "purposes", e.purposes, errors) != Field::kError && ok;
      }
      break;
    }
    case EventType::kIdentify: {
      Field a = read_text(r, "account", e.account, errors);
      Field s = read_list(r, "segments", e.segments, errors);
      e.has_account = a == Field::kOk;
      e.has_segments = s == Field::kOk;
      ok = ok && a != Field::kError && s != Field::kError;
      break;
    }
  }
  return ok;
}

}  // namespace tailor::sync
