// Experiments and bandits in the pipeline (see tailor/experiments.h, docs/experiments.md).
#include "tailor/experiments.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "tailor/bandit.h"
#include "tailor/bucketing.h"
#include "tailor/expr.h"
#include "tailor/targeting.h"

namespace tailor {
namespace {

constexpr std::string_view kDefaultHashAttribute = "user.id";

Status invalid(const fb::Experiment* e, const std::string& what) {
  return Status(Code::kSnapshotInvalid, "experiment '" + std::string(sv(e->id())) + "': " + what);
}

bool in_unit(double x) { return x >= 0.0 && x <= 1.0; }

template <class V>
bool contains(const V* v, int32_t x) {
  if (!v) return false;
  for (auto e : *v)
    if (static_cast<int32_t>(e) == x) return true;
  return false;
}

std::string_view seed_of(const fb::Experiment& e) { return e.seed() ? sv(e.seed()) : sv(e.id()); }

// Bandit statistics of an experiment's variations (at most kMaxVariations, checked on open).
struct Stats {
  double successes[kMaxVariations];
  double trials[kMaxVariations];
  int arms = 0;
  std::span<const double> s() const { return {successes, static_cast<size_t>(arms)}; }
  std::span<const double> t() const { return {trials, static_cast<size_t>(arms)}; }
};

Stats stats_of(const fb::Experiment& e) {
  Stats st;
  for (auto* v : *e.variations()) {
    st.successes[st.arms] = v->successes();
    st.trials[st.arms] = v->trials();
    ++st.arms;
  }
  return st;
}

// The request's value at a dot path ("user.id"), as GrowthBook hashes it (String(value));
// false when absent, null, empty or not a string, number or boolean.
bool hash_value(const nlohmann::json* data, std::string_view path, std::string& out) {
  if (!data) return false;
  const nlohmann::json* v = data;
  while (true) {
    const size_t dot = path.find('.');
    const std::string_view part = path.substr(0, dot);
    if (!v->is_object()) return false;
    auto it = v->find(std::string(part));
    if (it == v->end()) return false;
    v = &*it;
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  if (v->is_string()) out = v->get_ref<const std::string&>();
  else if (v->is_boolean()) out = v->get<bool>() ? "true" : "false";
  else if (v->is_number()) out = expr::number_to_string(v->get<double>());
  else return false;
  return !out.empty();
}

bool has_purpose(const Request& req, const Profile* profile, std::string_view purpose) {
  if (req.has_consent) return std::find(req.consent.begin(), req.consent.end(), purpose) != req.consent.end();
  return profile && profile->has_consent(purpose);
}

void decide_one(const Snapshot& snap, const Request& req, const Profile* profile, Targeting& targeting,
                const fb::Experiment& e, ExperimentAssignment& a) {
  const auto& vars = *e.variations();
  const int arms = static_cast<int>(vars.size());
  // The targeting condition (docs/targeting.md) decides who the experiment is for, stopped or not.
  if (!targeting.condition_true(ConditionOf::kExperiment, a.experiment, e.condition())) {
    a.reason = OutReason::kCondition;
    return;
  }
  // A stopped experiment is a rollout of one variation: no randomisation, no consent needed.
  if (e.forced() >= 0) {
    a.variation = e.forced();
    a.how = AssignHow::kForced;
    return;
  }
  if (e.purpose() && !has_purpose(req, profile, sv(e.purpose()))) {
    a.reason = OutReason::kNoConsent;
    return;
  }
  // Sticky: a variation the visitor already saw, while it still exists.
  const std::string_view id = sv(e.id());
  for (const auto& [exp, key] : req.assignments) {
    if (exp != id) continue;
    for (int k = 0; k < arms; ++k)
      if (sv(vars.Get(k)->key()) == key) {
        a.variation = k;
        a.how = AssignHow::kSticky;
        a.in_experiment = true;
        a.propensity = policy_propensity(e, k);
        return;
      }
    break;
  }
  std::string unit;
  if (!hash_value(req.data.get(), e.hash_attribute() ? sv(e.hash_attribute()) : kDefaultHashAttribute, unit)) {
    a.reason = OutReason::kNoHashAttribute;
    return;
  }
  if (e.namespace_id() && !in_namespace(unit, sv(e.namespace_id()), e.namespace_start(), e.namespace_end())) {
    a.reason = OutReason::kNamespace;
    return;
  }
  const std::optional<double> n = bucket_hash(seed_of(e), unit, e.hash_version());
  int bucket = -1;
  if (n)
    for (int k = 0; k < arms && bucket < 0; ++k) {
      const double start = e.ranges()->Get(2 * k), end = e.ranges()->Get(2 * k + 1);
      if (*n >= start && *n < end) bucket = k;
    }
  if (bucket < 0) {
    a.reason = OutReason::kCoverage;
    return;
  }
  int arm = bucket;
  a.how = AssignHow::kHash;
  const auto allocation = static_cast<Allocation>(e.allocation());
  if (allocation != Allocation::kFixed) {
    // Bandits: coverage came from the hash; the arm from a draw seeded by (seed, unit, version).
    Rng rng(bandit_seed(seed_of(e), unit, sv(snap.root().version())));
    const Stats st = stats_of(e);
    if (allocation == Allocation::kEpsilonGreedy) {
      arm = epsilon_greedy_arm(rng, e.epsilon(), greedy_arm(st.s(), st.t()), arms);
      a.how = AssignHow::kEpsilon;
    } else {
      arm = thompson_arm(rng, st.s(), st.t());
      a.how = AssignHow::kThompson;
    }
  }
  a.variation = arm;
  a.in_experiment = true;
  a.propensity = policy_propensity(e, arm);
}

const char* allocation_name(uint8_t a) {
  switch (static_cast<Allocation>(a)) {
    case Allocation::kFixed: return "fixed";
    case Allocation::kEpsilonGreedy: return "epsilon_greedy";
    case Allocation::kThompson: return "thompson";
  }
  return "unknown";
}

// The variation of assignment `a` when it applies to slot `slot`, else null.
const fb::Variation* variation_for(const Snapshot& snap, const ExperimentAssignment& a, int32_t slot) {
  if (a.variation < 0) return nullptr;
  const fb::Experiment& e = *snap.root().experiments()->Get(a.experiment);
  if (!contains(e.slots(), slot)) return nullptr;
  return e.variations()->Get(a.variation);
}

}  // namespace

const char* assign_how_name(AssignHow how) {
  switch (how) {
    case AssignHow::kNone: return "none";
    case AssignHow::kSticky: return "sticky";
    case AssignHow::kHash: return "hash";
    case AssignHow::kEpsilon: return "epsilon";
    case AssignHow::kThompson: return "thompson";
    case AssignHow::kForced: return "forced";
  }
  return "none";
}

const char* out_reason_name(OutReason why) {
  switch (why) {
    case OutReason::kNone: return "none";
    case OutReason::kNoConsent: return "no_consent";
    case OutReason::kCondition: return "condition";
    case OutReason::kNoHashAttribute: return "no_hash_attribute";
    case OutReason::kNamespace: return "namespace";
    case OutReason::kCoverage: return "coverage";
  }
  return "none";
}

double policy_propensity(const fb::Experiment& e, int32_t k) {
  const auto& vars = *e.variations();
  const int arms = static_cast<int>(vars.size());
  if (k < 0 || k >= arms) return 0;
  double p = 0;
  switch (static_cast<Allocation>(e.allocation())) {
    case Allocation::kFixed: p = vars.Get(k)->weight(); break;
    case Allocation::kEpsilonGreedy: {
      const Stats st = stats_of(e);
      p = epsilon_greedy_propensity(e.epsilon(), greedy_arm(st.s(), st.t()), arms, k);
      break;
    }
    case Allocation::kThompson: p = vars.Get(k)->propensity(); break;
  }
  return e.coverage_f64() * p;
}

Status validate_experiments(const fb::Snapshot& root) {
  const auto* exps = root.experiments();
  if (!exps) return Status::Ok();
  if (exps->size() > kMaxExperiments)
    return Status(Code::kSnapshotInvalid, std::to_string(exps->size()) + " experiments, over the limit of " +
                                              std::to_string(kMaxExperiments));
  const uint32_t nslot = root.slots() ? root.slots()->size() : 0;
  const uint32_t nstrat = root.strategies() ? root.strategies()->size() : 0;
  const uint32_t nrule = root.rules() ? root.rules()->size() : 0;
  for (const fb::Experiment* e : *exps) {
    const auto* vars = e->variations();
    if (!vars || vars->size() == 0 || vars->size() > kMaxVariations)
      return invalid(e, "needs 1 to " + std::to_string(kMaxVariations) + " variations");
    const uint32_t k = vars->size();
    if (e->hash_version() != 1 && e->hash_version() != 2) return invalid(e, "hash_version must be 1 or 2");
    if (!e->ranges() || e->ranges()->size() != 2 * k) return invalid(e, "bucket ranges do not match the variations");
    for (uint32_t i = 0; i < 2 * k; i += 2) {
      const double s = e->ranges()->Get(i), t = e->ranges()->Get(i + 1);
      if (!in_unit(s) || !in_unit(t) || s > t) return invalid(e, "bucket range out of [0, 1]");
    }
    if (!in_unit(e->coverage_f64())) return invalid(e, "coverage out of [0, 1]");
    if (!in_unit(e->epsilon())) return invalid(e, "epsilon out of [0, 1]");
    if (!in_unit(e->namespace_start()) || !in_unit(e->namespace_end()) || e->namespace_start() > e->namespace_end())
      return invalid(e, "namespace range out of [0, 1]");
    if (e->allocation() > static_cast<uint8_t>(Allocation::kThompson)) return invalid(e, "unknown allocation");
    if (e->forced() < -1 || e->forced() >= static_cast<int32_t>(k)) return invalid(e, "forced variation index");
    if (e->slots())
      for (int32_t s : *e->slots())
        if (s < 0 || static_cast<uint32_t>(s) >= nslot) return invalid(e, "slot index");
    for (const fb::Variation* v : *vars) {
      if (v->strategy() < -1 || v->strategy() >= static_cast<int32_t>(nstrat)) return invalid(e, "variation strategy index");
      const uint32_t names = v->term_names() ? v->term_names()->size() : 0;
      const uint32_t weights = v->term_weights() ? v->term_weights()->size() : 0;
      if (names != weights) return invalid(e, "variation term weights do not match their names");
      if (v->term_weights())
        for (float w : *v->term_weights())
          if (!std::isfinite(w)) return invalid(e, "variation term weight is not finite");
      if (v->rules_off())
        for (int32_t r : *v->rules_off())
          if (r < 0 || static_cast<uint32_t>(r) >= nrule) return invalid(e, "variation rule index");
      if (!std::isfinite(v->weight()) || !in_unit(v->weight())) return invalid(e, "variation weight out of [0, 1]");
      if (!std::isfinite(v->trials()) || !(v->successes() >= 0) || !(v->successes() <= v->trials()))
        return invalid(e, "variation statistics (need 0 <= successes <= trials)");
      if (e->allocation() == static_cast<uint8_t>(Allocation::kThompson) && !in_unit(v->propensity()))
        return invalid(e, "thompson variation without a propensity in [0, 1]");
    }
  }
  return Status::Ok();
}

Status prepare_experiments(const Snapshot& snap, const Request& req, const Profile* profile, Targeting& targeting,
                           Arena& arena, ExperimentState& out) {
  out = ExperimentState();
  const auto* exps = snap.root().experiments();
  if (!exps || exps->size() == 0) return Status::Ok();
  auto requested = arena.alloc<int32_t>(req.slots.size());
  for (size_t s = 0; s < req.slots.size(); ++s) requested[s] = snap.find_slot(req.slots[s].id);
  out.assignments = arena.alloc<ExperimentAssignment>(exps->size());
  size_t n = 0;
  for (uint32_t i = 0; i < exps->size(); ++i) {
    const fb::Experiment& e = *exps->Get(i);
    bool touches = false;
    for (int32_t s : requested) touches = touches || (s >= 0 && contains(e.slots(), s));
    if (!touches) continue;
    ExperimentAssignment a;
    a.experiment = static_cast<int32_t>(i);
    decide_one(snap, req, profile, targeting, e, a);
    out.assignments[n++] = a;
  }
  out.assignments = out.assignments.first(n);
  out.requested = requested;
  return Status::Ok();
}

int32_t experiment_strategy(const ExperimentState& ex, const Snapshot& snap, int32_t slot, int32_t configured) {
  int32_t s = configured;
  for (const ExperimentAssignment& a : ex.assignments)
    if (const fb::Variation* v = variation_for(snap, a, slot); v && v->strategy() >= 0) s = v->strategy();
  return s;
}

float experiment_term_weight(const ExperimentState& ex, const Snapshot& snap, int32_t slot, std::string_view term,
                             float configured) {
  float w = configured;
  for (const ExperimentAssignment& a : ex.assignments) {
    const fb::Variation* v = variation_for(snap, a, slot);
    if (!v || !v->term_names()) continue;
    for (uint32_t i = 0; i < v->term_names()->size(); ++i)
      if (sv(v->term_names()->Get(i)) == term) w = v->term_weights()->Get(i);
  }
  return w;
}

bool experiment_rule_off(const ExperimentState& ex, const Snapshot& snap, int32_t slot, uint32_t rule) {
  for (const ExperimentAssignment& a : ex.assignments)
    if (const fb::Variation* v = variation_for(snap, a, slot); v && contains(v->rules_off(), static_cast<int32_t>(rule)))
      return true;
  return false;
}

void write_experiments(JsonWriter& w, const Snapshot& snap, const ExperimentState& ex) {
  const auto* exps = snap.root().experiments();
  if (!exps || exps->size() == 0) return;
  const auto* slots = snap.root().slots();
  auto write_slots = [&](const fb::Experiment& e) {
    w.key("slots");
    w.begin_array();
    for (int32_t s : *e.slots()) {  // the experiment's slots this request shows, in experiment order
      bool shown = false;
      for (int32_t r : ex.requested) shown = shown || r == s;
      if (shown) w.string(sv(slots->Get(s)->id()));
    }
    w.end_array();
  };
  w.key("experiments");
  w.begin_array();
  for (const ExperimentAssignment& a : ex.assignments) {
    const fb::Experiment& e = *exps->Get(a.experiment);
    w.begin_object();
    w.key("id"); w.string(sv(e.id()));
    if (a.variation >= 0) {
      w.key("variation"); w.string(sv(e.variations()->Get(a.variation)->key()));
      w.key("index"); w.integer(a.variation);
      w.key("how"); w.string(assign_how_name(a.how));
    }
    w.key("in_experiment"); w.boolean(a.in_experiment);
    if (a.reason != OutReason::kNone) { w.key("reason"); w.string(out_reason_name(a.reason)); }
    w.end_object();
  }
  w.end_array();
  // One exposure record per experiment the visitor is in: what analytics joins outcomes to.
  w.key("exposures");
  w.begin_array();
  for (const ExperimentAssignment& a : ex.assignments) {
    if (!a.in_experiment) continue;
    const fb::Experiment& e = *exps->Get(a.experiment);
    w.begin_object();
    w.key("experiment"); w.string(sv(e.id()));
    w.key("variation"); w.string(sv(e.variations()->Get(a.variation)->key()));
    w.key("index"); w.integer(a.variation);
    w.key("how"); w.string(assign_how_name(a.how));
    w.key("allocation"); w.string(allocation_name(e.allocation()));
    w.key("propensity"); w.number(a.propensity);
    write_slots(e);
    w.end_object();
  }
  w.end_array();
}

}  // namespace tailor
