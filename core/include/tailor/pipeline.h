// The decision pipeline: candidates -> hard filters -> scoring -> rules -> top-k -> explanation.
#pragma once
#include <string>

#include "tailor/arena.h"
#include "tailor/profile.h"
#include "tailor/request.h"
#include "tailor/snapshot.h"
#include "tailor/status.h"

namespace tailor {

struct PipelineLimits {
  uint32_t max_candidates = 5'000'000;  // per slot
};

// Decides every slot of `req` against `snap` (and `profile`, may be null) and writes the
// decision JSON (schemas/response.schema.json) to `out` (cleared first). `arena` is reset by the
// caller between requests. Deterministic: same inputs, same bytes, in every runtime.
Status decide(const Snapshot& snap, const Request& req, const Profile* profile, Arena& arena,
              std::string& out, const PipelineLimits& limits = {});

// The consent purpose that switches on profile-based terms and filters.
constexpr const char* kPersonalizationPurpose = "personalization";

}  // namespace tailor
