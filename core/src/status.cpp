#include "tailor/status.h"

namespace tailor {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kParseError: return "parse_error";
    case Code::kSnapshotInvalid: return "snapshot_invalid";
    case Code::kSnapshotIdentifier: return "snapshot_wrong_identifier";
    case Code::kSnapshotIncompatible: return "snapshot_incompatible";
    case Code::kNoSnapshot: return "no_snapshot";
    case Code::kUnknownSlot: return "unknown_slot";
    case Code::kLimitExceeded: return "limit_exceeded";
    case Code::kProfileInvalid: return "profile_invalid";
    case Code::kNotFound: return "not_found";
    case Code::kIoError: return "io_error";
    case Code::kInternal: return "internal";
    case Code::kTenantMismatch: return "tenant_mismatch";
  }
  return "unknown";
}

}  // namespace tailor
