// Visitor events (NDJSON, one per line) as read by `tailor profiles`.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "errors.h"
#include "record.h"

namespace tailor::sync {

enum class EventType { kView, kCart, kPurchase, kConsent, kIdentify, kSearch };

struct Event {
  std::string user;
  EventType type = EventType::kView;
  std::string item;                   // view / cart / purchase
  std::string query;                  // search: the text the visitor searched for
  int64_t ts = 0;
  std::vector<std::string> purposes;  // consent: granted purposes (empty = all withdrawn)
  std::string account;                // identify
  std::vector<std::string> segments;  // identify
  bool has_account = false, has_segments = false;
  uint64_t line = 0;
};

// Interaction weight of an event type: view 1, search 2, cart 3, purchase 5, others 0.
double event_weight(EventType type);

// Reads one event from `r`; false after adding the problems (with line and field) to `errors`.
bool parse_event(const Record& r, Event& out, ErrorList& errors);

}  // namespace tailor::sync
