#include "tailor/profile.h"

#include <flatbuffers/flatbuffers.h>

#include "tailor/snapshot.h"

namespace tailor {

Result<Profile> Profile::open(std::span<const uint8_t> bytes, const ProfileLimits& limits) {
  if (bytes.size() > limits.max_bytes)
    return Status(Code::kLimitExceeded, "profile is " + std::to_string(bytes.size()) +
                                            " bytes, over the limit of " + std::to_string(limits.max_bytes));
  if (bytes.size() < 8) return Status(Code::kProfileInvalid, "profile invalid: truncated");
  if (!fb::ProfileBufferHasIdentifier(bytes.data()))
    return Status(Code::kProfileInvalid, "profile invalid: file identifier is not 'TPRF'");
  flatbuffers::Verifier::Options opts;
  opts.max_depth = limits.max_depth;
  opts.max_tables = limits.max_tables;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), opts);
  if (!fb::VerifyProfileBuffer(verifier))
    return Status(Code::kProfileInvalid, "profile invalid: FlatBuffers verification failed");
  Profile p;
  p.root_ = fb::GetProfile(bytes.data());
  return p;
}

bool Profile::has_consent(std::string_view purpose) const {
  if (!root_ || !root_->consent()) return false;
  for (auto* s : *root_->consent())
    if (sv(s) == purpose) return true;
  return false;
}

}  // namespace tailor
