// Experiments and bandits in the decision pipeline (docs/experiments.md): per request, every
// experiment on a requested slot is decided once (consent, stickiness, GrowthBook hashing or a
// seeded bandit draw); its variation then changes the slot's strategy, term weights and rules.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "tailor/arena.h"
#include "tailor/json_writer.h"
#include "tailor/profile.h"
#include "tailor/request.h"
#include "tailor/snapshot.h"
#include "tailor/status.h"
#include "tailor/targeting.h"

namespace tailor {

constexpr uint32_t kMaxExperiments = 256;
constexpr uint32_t kMaxVariations = 32;
// Thompson propensities are estimated at build time with this many seeded draws.
constexpr uint32_t kThompsonPropensityDraws = 10'000;

enum class Allocation : uint8_t { kFixed = 0, kEpsilonGreedy = 1, kThompson = 2 };

// How a variation was chosen.
enum class AssignHow : uint8_t { kNone, kSticky, kHash, kEpsilon, kThompson, kForced };
// Why a visitor is not in an experiment (and gets the slot as configured).
enum class OutReason : uint8_t { kNone, kNoConsent, kCondition, kNoHashAttribute, kNamespace, kCoverage };

const char* assign_how_name(AssignHow how);
const char* out_reason_name(OutReason why);

struct ExperimentAssignment {
  int32_t experiment = -1;
  int32_t variation = -1;  // -1: no variation (the slot as configured)
  AssignHow how = AssignHow::kNone;
  OutReason reason = OutReason::kNone;
  bool in_experiment = false;
  double propensity = 0;  // in_experiment: P(the policy gives this visitor this variation)
};

// The experiments of one request: those with a slot among the requested ones, in snapshot order.
struct ExperimentState {
  std::span<ExperimentAssignment> assignments;
  std::span<int32_t> requested;  // slot index per requested slot (-1 unknown)
};

// Structural checks run by Snapshot::open: indices in range, ranges and statistics well formed.
Status validate_experiments(const fb::Snapshot& root);

// Decides every experiment that applies to a requested slot. `profile` is the visitor's profile
// even without personalization consent (its consent record counts when the request has none).
Status prepare_experiments(const Snapshot& snap, const Request& req, const Profile* profile, Targeting& targeting,
                           Arena& arena, ExperimentState& out);

// The strategy slot `slot` uses under the request's variations (`configured` when none changes it).
int32_t experiment_strategy(const ExperimentState& ex, const Snapshot& snap, int32_t slot, int32_t configured);
// A term's weight in slot `slot` under the request's variations (`configured` when none overrides it).
float experiment_term_weight(const ExperimentState& ex, const Snapshot& snap, int32_t slot, std::string_view term,
                             float configured);
// True when a variation assigned to this request switches rule `rule` off in slot `slot`.
bool experiment_rule_off(const ExperimentState& ex, const Snapshot& snap, int32_t slot, uint32_t rule);

// The decision's "experiments" (assignments) and "exposures" members; written only when the
// snapshot defines experiments.
void write_experiments(JsonWriter& w, const Snapshot& snap, const ExperimentState& ex);

// P(variation k) under the experiment's current policy, including coverage (docs/experiments.md).
double policy_propensity(const fb::Experiment& e, int32_t k);

}  // namespace tailor
