// Multi-tenant isolation in the core: an engine loaded "for" a tenant refuses another tenant's
// snapshot before activation (the previous one keeps serving), requests naming another tenant are
// refused, and a profile recorded for another tenant is never read.
#include <doctest/doctest.h>

#include "fixture.h"
#include "tailor/sha256.h"
#include "tailor.h"

using namespace tailor;
using namespace tailor::test;

namespace {

SnapSpec tenant_catalog(const std::string& tenant, const std::string& version) {
  SnapSpec s = rich_catalog();
  s.tenant = tenant;
  s.version = version;
  return s;
}

}  // namespace

TEST_CASE("tenancy: load_snapshot with an expected tenant refuses another tenant's snapshot") {
  Bytes a1 = build_snapshot(tenant_catalog("acme", "a1"));
  Bytes b1 = build_snapshot(tenant_catalog("globex", "b1"));
  Engine e;
  CHECK(e.load_snapshot(b1.span(), "acme").code() == Code::kTenantMismatch);
  CHECK(e.snapshot() == nullptr);  // nothing was activated
  REQUIRE(e.load_snapshot(a1.span(), "acme").ok());
  Status st = e.load_snapshot(b1.span(), "acme");
  CHECK(st.code() == Code::kTenantMismatch);
  CHECK(st.message().find("'globex'") != std::string::npos);
  CHECK(st.message().find("'acme'") != std::string::npos);
  // The previous snapshot keeps serving.
  CHECK(e.snapshot()->hash() == sha256_hex(a1.span()));
  REQUIRE(e.decide(R"({"slots":["all"]})", {}).ok());
  CHECK(parse(e.output())["tenant"] == "acme");
  CHECK(parse(e.output())["snapshot"]["version"] == "a1");
  // No expectation: any valid snapshot loads (single-tenant hosts).
  CHECK(e.load_snapshot(b1.span()).ok());
  CHECK(parse(e.output()).is_discarded());  // output cleared by the load
}

TEST_CASE("tenancy: a request naming another tenant is refused") {
  Bytes a1 = build_snapshot(tenant_catalog("acme", "a1"));
  Engine e;
  REQUIRE(e.load_snapshot(a1.span(), "acme").ok());
  Status st = e.decide(R"({"tenant":"globex","slots":["all"]})", {});
  CHECK(st.code() == Code::kInvalidArgument);
  CHECK(st.message().find("'globex'") != std::string::npos);
  CHECK(e.output().empty());
}

TEST_CASE("tenancy: a profile recorded for another tenant is refused, one without a tenant is read") {
  Bytes a1 = build_snapshot(tenant_catalog("acme", "a1"));
  Engine e;
  REQUIRE(e.load_snapshot(a1.span(), "acme").ok());
  Bytes other = build_profile({.categories = {{"books", 1.0f}}, .tenant = "globex"});
  Status st = e.decide(R"({"site":"eu","slots":["all"]})", other.span());
  CHECK(st.code() == Code::kTenantMismatch);
  CHECK(st.message().find("'globex'") != std::string::npos);
  CHECK(e.output().empty());
  Bytes own = build_profile({.categories = {{"books", 1.0f}}, .tenant = "acme"});
  REQUIRE(e.decide(R"({"site":"eu","slots":["all"]})", own.span()).ok());
  CHECK(parse(e.output())["personalized"] == true);
  Bytes none = build_profile({.categories = {{"books", 1.0f}}, .tenant = ""});
  CHECK(e.decide(R"({"site":"eu","slots":["all"]})", none.span()).ok());
}

TEST_CASE("tenancy: two engines for two tenants never share data") {
  SnapSpec sa = tenant_catalog("acme", "a1");
  SnapSpec sb = flat_catalog({0.5f, 0.9f});
  sb.tenant = "globex";
  Bytes a = build_snapshot(sa), b = build_snapshot(sb);
  Engine ea, eb;
  REQUIRE(ea.load_snapshot(a.span(), "acme").ok());
  REQUIRE(eb.load_snapshot(b.span(), "globex").ok());
  REQUIRE(ea.decide(R"({"site":"us","slots":["all"]})", {}).ok());
  REQUIRE(eb.decide(R"({"slots":["all"]})", {}).ok());
  auto da = parse(ea.output()), db = parse(eb.output());
  CHECK(ids(da) == std::vector<std::string>{"jacket", "boot", "cap", "runner", "sock"});
  CHECK(ids(db) == std::vector<std::string>{"i1", "i0"});
  // A failed cross-load into one engine leaves both as they were.
  CHECK(ea.load_snapshot(b.span(), "acme").code() == Code::kTenantMismatch);
  REQUIRE(ea.decide(R"({"site":"us","slots":["all"]})", {}).ok());
  CHECK(parse(ea.output()) == da);
}

TEST_CASE("tenancy: C ABI tailor_engine_load_snapshot_for") {
  Bytes a1 = build_snapshot(tenant_catalog("acme", "a1"));
  Bytes b1 = build_snapshot(tenant_catalog("globex", "b1"));
  tailor_engine* e = tailor_engine_create();
  REQUIRE(e != nullptr);
  CHECK(tailor_engine_load_snapshot_for(e, b1.data(), b1.size(), "acme", 4) == TAILOR_ERR_TENANT_MISMATCH);
  CHECK(tailor_engine_last_error_code(e) == TAILOR_ERR_TENANT_MISMATCH);
  CHECK(std::string(tailor_engine_last_error(e)).find("'globex'") != std::string::npos);
  CHECK(std::string(tailor_engine_snapshot_info(e)).empty());
  CHECK(tailor_engine_load_snapshot_for(e, a1.data(), a1.size(), "acme", 4) == TAILOR_OK);
  CHECK(std::string(tailor_engine_snapshot_info(e)).find(R"("tenant":"acme")") != std::string::npos);
  CHECK(tailor_engine_load_snapshot_for(e, a1.data(), a1.size(), nullptr, 3) == TAILOR_ERR_INVALID_ARGUMENT);
  CHECK(tailor_engine_load_snapshot_for(e, b1.data(), b1.size(), nullptr, 0) == TAILOR_OK);  // no check
  CHECK(tailor_engine_load_snapshot_for(nullptr, a1.data(), a1.size(), "acme", 4) == TAILOR_ERR_INVALID_ARGUMENT);
  tailor_engine_free(e);
}
