// Status codes and names cross the C ABI and are documented in docs/api.md: they must not drift.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "tailor/status.h"

using tailor::Code;
using tailor::code_name;

TEST_CASE("status: every code has its documented name and number") {
  struct Row { Code code; int number; const char* name; };
  const Row rows[] = {
      {Code::kOk, 0, "ok"},
      {Code::kInvalidArgument, 1, "invalid_argument"},
      {Code::kParseError, 2, "parse_error"},
      {Code::kSnapshotInvalid, 3, "snapshot_invalid"},
      {Code::kSnapshotIdentifier, 4, "snapshot_wrong_identifier"},
      {Code::kSnapshotIncompatible, 5, "snapshot_incompatible"},
      {Code::kNoSnapshot, 6, "no_snapshot"},
      {Code::kUnknownSlot, 7, "unknown_slot"},
      {Code::kLimitExceeded, 8, "limit_exceeded"},
      {Code::kProfileInvalid, 9, "profile_invalid"},
      {Code::kNotFound, 10, "not_found"},
      {Code::kIoError, 11, "io_error"},
      {Code::kInternal, 12, "internal"},
      {Code::kTenantMismatch, 13, "tenant_mismatch"},
  };
  std::set<std::string> seen;
  for (const Row& r : rows) {
    CAPTURE(r.name);
    CHECK(static_cast<int>(r.code) == r.number);
    CHECK(std::string(code_name(r.code)) == r.name);
    seen.insert(code_name(r.code));
  }
  CHECK(seen.size() == std::size(rows));
  CHECK(std::string(code_name(static_cast<Code>(99))) == "unknown");
}

TEST_CASE("status: Status and Result carry code, message and value") {
  tailor::Status ok;
  CHECK(ok.ok());
  CHECK(ok.code() == Code::kOk);
  CHECK(tailor::Status::Ok().ok());

  tailor::Status bad(Code::kUnknownSlot, "unknown slot 'x'");
  CHECK_FALSE(bad.ok());
  CHECK(bad.code() == Code::kUnknownSlot);
  CHECK(bad.message() == "unknown slot 'x'");

  tailor::Result<int> value(42);
  CHECK(value.ok());
  CHECK(*value == 42);
  tailor::Result<int> error(bad);
  CHECK_FALSE(error.ok());
  CHECK(error.status().code() == Code::kUnknownSlot);
}
