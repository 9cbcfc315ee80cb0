// Status and Result<T>: how every fallible core function reports errors (no exceptions).
#pragma once
#include <string>
#include <string_view>
#include <utility>

namespace tailor {

// Stable numeric codes: they cross the C ABI and are documented in docs/api.md.
enum class Code : int {
  kOk = 0,
  kInvalidArgument = 1,     // a request/config value is wrong
  kParseError = 2,          // malformed JSON / CSV / NDJSON
  kSnapshotInvalid = 3,     // snapshot bytes fail verification
  kSnapshotIdentifier = 4,  // not a Tailor snapshot (wrong file identifier)
  kSnapshotIncompatible = 5,// built for an engine this one cannot read
  kNoSnapshot = 6,          // decide() before any snapshot was loaded
  kUnknownSlot = 7,         // request names a slot the snapshot lacks
  kLimitExceeded = 8,       // an input exceeds its cap
  kProfileInvalid = 9,      // profile bytes fail verification
  kNotFound = 10,           // a referenced id does not exist
  kIoError = 11,            // file system (CLI only)
  kInternal = 12,
  kTenantMismatch = 13,     // a snapshot or profile of another tenant than the engine serves
};

// Machine-readable name for a code, e.g. "unknown_slot".
const char* code_name(Code code);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }
  T& operator*() { return value_; }

 private:
  Status status_;
  T value_{};
};

}  // namespace tailor
