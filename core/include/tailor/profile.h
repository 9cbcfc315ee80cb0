// Profile: a verified view of one visitor's .tprof FlatBuffer (affinities, embedding, consent).
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "tailor/profile_generated.h"
#include "tailor/status.h"

namespace tailor {

struct ProfileLimits {
  size_t max_bytes = 1 << 20;  // 1 MiB
  uint32_t max_depth = 16;
  uint32_t max_tables = 100'000;
};

class Profile {
 public:
  Profile() = default;
  // Verifies the buffer; does not copy (`bytes` must outlive the Profile).
  static Result<Profile> open(std::span<const uint8_t> bytes, const ProfileLimits& limits = {});

  const fb::Profile& root() const { return *root_; }
  // Purpose granted in the profile's own consent record.
  bool has_consent(std::string_view purpose) const;

 private:
  const fb::Profile* root_ = nullptr;
};

}  // namespace tailor
