// Request parsing: the boundary where hosts' JSON becomes a Request; errors must name the field.
#include <doctest/doctest.h>

#include <string>

#include "tailor/request.h"

using tailor::Code;
using tailor::parse_request;
using tailor::RequestLimits;

namespace {
// Checks `json` fails with `code` and a message containing `needle`.
void expect_error(std::string_view json, Code code, std::string_view needle) {
  auto r = parse_request(json);
  CAPTURE(json);
  REQUIRE_FALSE(r.ok());
  CHECK(tailor::code_name(r.status().code()) == std::string(tailor::code_name(code)));
  INFO("message: ", r.status().message());
  CHECK(r.status().message().find(needle) != std::string::npos);
}

std::string ids_json(size_t n) {
  std::string s = "[";
  for (size_t i = 0; i < n; ++i) s += (i ? ",\"i" : "\"i") + std::to_string(i) + "\"";
  return s + "]";
}
}  // namespace

TEST_CASE("request: a minimal request gets the documented defaults") {
  auto r = parse_request(R"({"slots":["home"]})");
  REQUIRE(r.ok());
  REQUIRE(r->slots.size() == 1);
  CHECK(r->slots[0].id == "home");
  CHECK(r->slots[0].size == -1);
  CHECK(r->slots[0].items.empty());
  CHECK(r->tenant.empty());
  CHECK(r->site.empty());
  CHECK(r->now == 0);
  CHECK_FALSE(r->has_consent);
  CHECK(r->exclude.empty());
  CHECK(r->explain);
}

TEST_CASE("request: every field is read") {
  auto r = parse_request(R"({
    "tenant": "acme", "site": "us", "now": 1762300800, "user": {"id": "tess"},
    "consent": ["personalization", "analytics"],
    "slots": ["a", {"id": "b", "size": 4}, {"id": "c", "items": ["x", "y"]}],
    "exclude": ["z"], "explain": false, "future_field": [1, 2, 3]
  })");
  REQUIRE(r.ok());
  CHECK(r->tenant == "acme");
  CHECK(r->site == "us");
  CHECK(r->now == 1762300800);
  CHECK(r->has_consent);
  CHECK(r->consent == std::vector<std::string>{"personalization", "analytics"});
  REQUIRE(r->slots.size() == 3);
  CHECK(r->slots[0].id == "a");
  CHECK(r->slots[1].id == "b");
  CHECK(r->slots[1].size == 4);
  CHECK(r->slots[2].items == std::vector<std::string>{"x", "y"});
  CHECK(r->exclude == std::vector<std::string>{"z"});
  CHECK_FALSE(r->explain);
}

TEST_CASE("request: an empty consent list is present and grants nothing") {
  auto r = parse_request(R"({"slots":["a"],"consent":[]})");
  REQUIRE(r.ok());
  CHECK(r->has_consent);
  CHECK(r->consent.empty());
  auto n = parse_request(R"({"slots":["a"],"consent":null,"now":null,"explain":null})");
  REQUIRE(n.ok());
  CHECK_FALSE(n->has_consent);
  CHECK(n->explain);
}

TEST_CASE("request: size bounds 1..1000") {
  CHECK(parse_request(R"({"slots":[{"id":"a","size":1}]})").ok());
  CHECK(parse_request(R"({"slots":[{"id":"a","size":1000}]})").ok());
  expect_error(R"({"slots":[{"id":"a","size":0}]})", Code::kInvalidArgument, "slots[0].size");
  expect_error(R"({"slots":["x",{"id":"a","size":1001}]})", Code::kInvalidArgument, "slots[1].size");
  expect_error(R"({"slots":[{"id":"a","size":-3}]})", Code::kInvalidArgument, "slots[0].size");
  expect_error(R"({"slots":[{"id":"a","size":2.5}]})", Code::kInvalidArgument, "slots[0].size");
  expect_error(R"({"slots":[{"id":"a","size":"4"}]})", Code::kInvalidArgument, "slots[0].size");
  expect_error(R"({"slots":[{"id":"a","size":18446744073709551615}]})", Code::kInvalidArgument, "slots[0].size");
}

TEST_CASE("request: malformed documents") {
  expect_error("", Code::kParseError, "not valid JSON");
  expect_error("{\"slots\":[\"a\"]", Code::kParseError, "not valid JSON");
  expect_error("{slots: [a]}", Code::kParseError, "not valid JSON");
  expect_error("[\"a\"]", Code::kInvalidArgument, "must be a JSON object");
  expect_error("\"home\"", Code::kInvalidArgument, "must be a JSON object");
  expect_error("null", Code::kInvalidArgument, "must be a JSON object");
}

TEST_CASE("request: slots must be a non-empty array of ids or objects with an id") {
  expect_error("{}", Code::kInvalidArgument, "request.slots");
  expect_error(R"({"slots":[]})", Code::kInvalidArgument, "request.slots");
  expect_error(R"({"slots":"home"})", Code::kInvalidArgument, "request.slots");
  expect_error(R"({"slots":[7]})", Code::kInvalidArgument, "request.slots[0]");
  expect_error(R"({"slots":["a",{"size":3}]})", Code::kInvalidArgument, "request.slots[1].id: is required");
  expect_error(R"({"slots":[""]})", Code::kInvalidArgument, "request.slots[0].id");
  expect_error(R"({"slots":[{"id":5}]})", Code::kInvalidArgument, "request.slots[0].id");
  expect_error(R"({"slots":[{"id":"a","items":"x"}]})", Code::kInvalidArgument, "request.slots[0].items");
  expect_error(R"({"slots":[{"id":"a","items":["x",3]}]})", Code::kInvalidArgument, "request.slots[0].items[1]");
}

TEST_CASE("request: field types") {
  expect_error(R"({"slots":["a"],"tenant":3})", Code::kInvalidArgument, "request.tenant");
  expect_error(R"({"slots":["a"],"site":["us"]})", Code::kInvalidArgument, "request.site");
  expect_error(R"({"slots":["a"],"now":-1})", Code::kInvalidArgument, "request.now");
  expect_error(R"({"slots":["a"],"now":1.5})", Code::kInvalidArgument, "request.now");
  expect_error(R"({"slots":["a"],"now":"2025-01-01"})", Code::kInvalidArgument, "request.now");
  expect_error(R"({"slots":["a"],"consent":"personalization"})", Code::kInvalidArgument, "request.consent");
  expect_error(R"({"slots":["a"],"consent":["personalization",true]})", Code::kInvalidArgument,
               "request.consent[1]");
  expect_error(R"({"slots":["a"],"exclude":[null]})", Code::kInvalidArgument, "request.exclude[0]");
  expect_error(R"({"slots":["a"],"explain":"yes"})", Code::kInvalidArgument, "request.explain");
  expect_error(R"({"slots":["a"],"explain":1})", Code::kInvalidArgument, "request.explain");
  expect_error(R"({"slots":["a"],"user":"tess"})", Code::kInvalidArgument, "request.user");
}

TEST_CASE("request: limits") {
  // 16 slots is fine, 17 is over.
  std::string slots16 = "{\"slots\":" + ids_json(16) + "}";
  CHECK(parse_request(slots16).ok());
  expect_error("{\"slots\":" + ids_json(17) + "}", Code::kLimitExceeded, "request.slots");

  // 1000 ids per list is fine, 1001 is over, for each list.
  CHECK(parse_request("{\"slots\":[\"a\"],\"exclude\":" + ids_json(1000) + "}").ok());
  expect_error("{\"slots\":[\"a\"],\"exclude\":" + ids_json(1001) + "}", Code::kLimitExceeded, "request.exclude");
  expect_error("{\"slots\":[{\"id\":\"a\",\"items\":" + ids_json(1001) + "}]}", Code::kLimitExceeded,
               "request.slots[0].items");
  expect_error("{\"slots\":[\"a\"],\"consent\":" + ids_json(1001) + "}", Code::kLimitExceeded, "request.consent");

  // Byte cap: checked before parsing, so even valid JSON over 64 KiB is refused.
  std::string big = "{\"slots\":[\"a\"],\"pad\":\"" + std::string(64 * 1024, 'x') + "\"}";
  expect_error(big, Code::kLimitExceeded, "bytes");
  std::string exact = "{\"slots\":[\"a\"],\"pad\":\"\"}";
  exact.insert(exact.size() - 2, std::string(64 * 1024 - exact.size(), 'x'));
  REQUIRE(exact.size() == 64 * 1024);
  CHECK(parse_request(exact).ok());

  // Deeply nested unknown fields within the cap are parsed (and ignored) without trouble.
  std::string deep = "{\"slots\":[\"a\"],\"x\":" + std::string(30000, '[') + std::string(30000, ']') + "}";
  CHECK(parse_request(deep).ok());

  // Custom limits are honoured.
  RequestLimits tight;
  tight.max_slots = 1;
  tight.max_ids = 2;
  tight.max_bytes = 100;
  CHECK(parse_request(R"({"slots":["a","b"]})", tight).status().code() == Code::kLimitExceeded);
  CHECK(parse_request(R"({"slots":["a"],"exclude":["x","y","z"]})", tight).status().code() == Code::kLimitExceeded);
  CHECK(parse_request(R"({"slots":["a"],"exclude":["x","y"]})", tight).ok());
}
