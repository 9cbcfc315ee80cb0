#include "experiments_config.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "config_reader.h"
#include "resolve.h"
#include "source.h"
#include "targeting_config.h"
#include "tailor/bandit.h"
#include "tailor/bucketing.h"
#include "tailor/experiments.h"

namespace tailor::sync {
namespace {

using nlohmann::json;

constexpr const char* kAllocations[] = {"fixed", "epsilon_greedy", "thompson"};
constexpr double kWeightTolerance = 1e-4;  // weights must sum to 1 within this
constexpr double kMaxTrials = 1e12;

std::string fmt(double x) {
  std::string s = std::to_string(x);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// A finite number in [0, 1] at `path`, or nullopt (reported).
std::optional<double> unit_number(ConfigReader& r, const json& v, const std::string& path) {
  if (!v.is_number()) {
    r.error(path, std::string("expected a number, got ") + v.type_name());
    return std::nullopt;
  }
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < 0 || x > 1) {
    r.error(path, fmt(x) + " is out of range (0 to 1)");
    return std::nullopt;
  }
  return x;
}

bool valid_path(std::string_view p) {
  if (p.empty() || p.size() > 256 || p.front() == '.' || p.back() == '.') return false;
  return p.find("..") == std::string_view::npos;
}

void parse_variation(ConfigReader& r, const json& v, const std::string& p, ExperimentConfig& e,
                     std::map<std::string, std::string>& keys) {
  if (!r.object(v, p, {"key", "strategy", "term_weights", "rules_off", "successes", "trials"})) return;
  VariationConfig vc;
  vc.where = p;
  auto key = r.id(v, "key", p);
  if (key) r.unique(keys, *key, at(p, "key"));
  if (auto s = r.id(v, "strategy", p, false)) vc.strategy = IdRef{*s, at(p, "strategy")};
  if (const json* tw = r.member(v, "term_weights", p, false)) {
    const std::string tp = at(p, "term_weights");
    if (!tw->is_object()) r.error(tp, std::string("expected an object {term name: weight}, got ") + tw->type_name());
    else
      for (auto it = tw->begin(); it != tw->end(); ++it) {  // keys come sorted
        if (auto w = r.number(*tw, it.key(), tp, true)) vc.term_weights.push_back({it.key(), static_cast<float>(*w)});
      }
  }
  vc.rules_off = r.ids(v, "rules_off", p);
  vc.successes = r.number(v, "successes", p);
  vc.trials = r.number(v, "trials", p);
  if (vc.successes.has_value() != vc.trials.has_value())
    r.error(p, "successes and trials go together");
  if (vc.successes && vc.trials && (*vc.successes < 0 || *vc.trials > kMaxTrials || *vc.successes > *vc.trials))
    r.error(at(p, "successes"), "need 0 <= successes <= trials <= 1e12 (got " + fmt(*vc.successes) + " of " +
                                    fmt(*vc.trials) + ")");
  if (!key) return;
  vc.key = *key;
  e.variations.push_back(std::move(vc));
}

void parse_experiment(ConfigReader& r, const json& j, const std::string& p, Config& c,
                      std::map<std::string, std::string>& ids) {
  if (!r.object(j, p, {"id", "seed", "hash_version", "hash_attribute", "coverage", "weights", "namespace", "slots",
                       "variations", "purpose", "consent_required", "status", "forced_variation", "allocation", "epsilon", "stats", "condition"}))
    return;
  ExperimentConfig e;
  e.where = p;
  auto id = r.id(j, "id", p);
  if (id) r.unique(ids, *id, at(p, "id"));
  e.seed = r.text(j, "seed", p).value_or("");
  if (auto hv = r.integer(j, "hash_version", p, 1, 2)) e.hash_version = static_cast<int>(*hv);
  if (auto ha = r.text(j, "hash_attribute", p)) {
    if (!valid_path(*ha)) r.error(at(p, "hash_attribute"), quote_value(*ha) + " is not a dot path into the request (e.g. \"user.id\")");
    else e.hash_attribute = *ha;
  }
  if (const json* cov = r.member(j, "coverage", p, false))
    if (auto x = unit_number(r, *cov, at(p, "coverage"))) e.coverage = *x;

  // Consent: the purpose "experiments" unless the config names another; consent_required false
  // (e.g. for a B2B portal where contracts cover it) drops the check.
  e.purpose = r.id(j, "purpose", p, false).value_or("experiments");
  if (auto required = r.boolean(j, "consent_required", p); required && !*required) {
    if (j.contains("purpose") && !j["purpose"].is_null())
      r.error(at(p, "purpose"), "a purpose with consent_required false is never checked");
    e.purpose.reset();
  }

  if (auto alloc = r.text(j, "allocation", p)) {
    auto k = std::find(std::begin(kAllocations), std::end(kAllocations), *alloc);
    if (k == std::end(kAllocations))
      r.error(at(p, "allocation"), "unknown allocation " + quote_value(*alloc) + " (expected one of: fixed, epsilon_greedy, thompson)");
    else e.allocation = static_cast<uint8_t>(k - std::begin(kAllocations));
  }
  if (const json* eps = r.member(j, "epsilon", p, false)) {
    if (e.allocation != static_cast<uint8_t>(Allocation::kEpsilonGreedy))
      r.error(at(p, "epsilon"), "only epsilon_greedy experiments take an epsilon");
    else if (auto x = unit_number(r, *eps, at(p, "epsilon"))) e.epsilon = *x;
  } else if (e.allocation == static_cast<uint8_t>(Allocation::kEpsilonGreedy)) {
    r.error(at(p, "epsilon"), "is required with allocation epsilon_greedy (the exploration share, 0 to 1)");
  }

  if (const json* ns = r.member(j, "namespace", p, false)) {
    const std::string np = at(p, "namespace");
    if (!ns->is_array() || ns->size() != 3 || !(*ns)[0].is_string() || (*ns)[0].get_ref<const std::string&>().empty())
      r.error(np, "expected [namespace id, start, end], e.g. [\"home\", 0, 0.5]");
    else {
      auto s = unit_number(r, (*ns)[1], at(np, 1));
      auto t = unit_number(r, (*ns)[2], at(np, 2));
      if (s && t && !(*s < *t)) r.error(np, "start " + fmt(*s) + " must be below end " + fmt(*t));
      else if (s && t) {
        e.namespace_id = (*ns)[0].get<std::string>();
        e.namespace_start = *s;
        e.namespace_end = *t;
      }
    }
  }

  e.slots = r.ids(j, "slots", p, true);
  if (e.slots.empty() && j.contains("slots")) r.error(at(p, "slots"), "must name at least one slot");

  if (const json* vars = r.member(j, "variations", p, true)) {
    const std::string vp = at(p, "variations");
    if (!vars->is_array()) r.error(vp, std::string("expected an array, got ") + vars->type_name());
    else if (vars->empty() || vars->size() > kMaxVariations)
      r.error(vp, std::to_string(vars->size()) + " variations (1 to " + std::to_string(kMaxVariations) + " allowed)");
    else {
      std::map<std::string, std::string> keys;
      for (size_t i = 0; i < vars->size(); ++i) parse_variation(r, (*vars)[i], at(vp, i), e, keys);
    }
  }

  if (const json* w = r.member(j, "weights", p, false)) {
    const std::string wp = at(p, "weights");
    if (e.allocation != static_cast<uint8_t>(Allocation::kFixed))
      r.error(wp, "weights apply to fixed allocation only (bandits choose arms from their statistics)");
    else if (!w->is_array()) r.error(wp, std::string("expected an array of numbers, got ") + w->type_name());
    else {
      bool ok = true;
      double sum = 0;
      for (size_t i = 0; i < w->size(); ++i) {
        auto x = unit_number(r, (*w)[i], at(wp, i));
        ok = ok && x.has_value();
        if (x) {
          e.weights.push_back(*x);
          sum += *x;
        }
      }
      const size_t nvars = j.contains("variations") && j["variations"].is_array() ? j["variations"].size() : 0;
      if (ok && w->size() != nvars)
        r.error(wp, std::to_string(w->size()) + " weights for " + std::to_string(nvars) + " variations");
      else if (ok && std::fabs(sum - 1.0) > kWeightTolerance)
        r.error(wp, "weights sum to " + fmt(sum) + ", they must sum to 1");
    }
  }

  auto status = r.text(j, "status", p);
  if (status && *status != "running" && *status != "stopped")
    r.error(at(p, "status"), "unknown status " + quote_value(*status) + " (expected one of: running, stopped)");
  e.stopped = status && *status == "stopped";
  if (auto f = r.id(j, "forced_variation", p, false)) {
    if (!e.stopped) r.error(at(p, "forced_variation"), "only a stopped experiment has a forced variation (set status to \"stopped\")");
    else e.forced = IdRef{*f, at(p, "forced_variation")};
  }
  parse_condition(r, j, p, e.condition, e.condition_segments);
  e.stats = r.source(j, "stats", p, false);
  if (e.stats && e.allocation == static_cast<uint8_t>(Allocation::kFixed))
    r.error(at(p, "stats"), "statistics drive bandit allocations only (allocation epsilon_greedy or thompson)");

  if (!id) return;
  e.id = *id;
  if (e.seed.empty()) e.seed = e.id;
  c.experiments.push_back(std::move(e));
}

// Reads `variation, successes, trials` records into the experiment's variations.
void read_stats(const Config& c, const ExperimentConfig& e, ResolvedExperiment& out, ErrorList& errors) {
  std::map<std::string, std::string> seen;
  read_records(*e.stats, errors, [&](const Record& rec) {
    std::string key;
    double s = 0, t = 0;
    if (read_text(rec, "variation", key, errors) != Field::kOk) {
      if (key.empty()) field_error(rec, "variation", "is required (a variation key)", errors);
      return !errors.full();
    }
    Field fs = read_number(rec, "successes", s, errors);
    Field ft = read_number(rec, "trials", t, errors);
    if (fs != Field::kOk || ft != Field::kOk) {
      if (fs == Field::kMissing) field_error(rec, "successes", "is required", errors);
      if (ft == Field::kMissing) field_error(rec, "trials", "is required", errors);
      return !errors.full();
    }
    auto v = std::find_if(out.variations.begin(), out.variations.end(), [&](const ResolvedVariation& x) { return x.key == key; });
    if (v == out.variations.end()) {
      field_error(rec, "variation", "unknown variation " + quote_value(key) + " of experiment " + quote_value(e.id), errors);
    } else if (auto [it, inserted] = seen.emplace(key, rec.where().str()); !inserted) {
      field_error(rec, "variation", "variation " + quote_value(key) + " listed twice (first at " + it->second + ")", errors);
    } else if (!(s >= 0 && s <= t && t <= kMaxTrials)) {
      field_error(rec, "successes", "need 0 <= successes <= trials <= 1e12 (got " + fmt(s) + " of " + fmt(t) + ")", errors);
    } else {
      v->successes = s;
      v->trials = t;
    }
    return !errors.full();
  });
  (void)c;
}

}  // namespace

void parse_experiments(ConfigReader& r, const json& root, Config& c) {
  const json* v = r.member(root, "experiments", "", false);
  if (!v) return;
  if (!v->is_array()) return r.error("experiments", std::string("expected an array, got ") + v->type_name());
  if (v->size() > kMaxExperiments)
    return r.error("experiments", std::to_string(v->size()) + " experiments, at most " + std::to_string(kMaxExperiments));
  std::map<std::string, std::string> ids;
  for (size_t i = 0; i < v->size(); ++i) parse_experiment(r, (*v)[i], at("experiments", i), c, ids);
}

void resolve_experiments(const Config& c, const std::vector<ResolvedStrategy>& strategies,
                         const std::vector<ResolvedSlot>& slots, std::vector<ResolvedExperiment>& out,
                         ErrorList& errors) {
  out.clear();
  auto error = [&](const std::string& where, const std::string& msg) { errors.add(c.file + ": " + where + ": " + msg); };
  auto index_of = [](const auto& list, const std::string& id, auto get) -> int32_t {
    for (size_t i = 0; i < list.size(); ++i)
      if (get(list[i]) == id) return static_cast<int32_t>(i);
    return -1;
  };
  for (const ExperimentConfig& e : c.experiments) {
    ResolvedExperiment re;
    re.config = &e;
    for (const IdRef& s : e.slots) {
      int32_t k = index_of(c.slots, s.id, [](const SlotConfig& x) { return x.id; });
      if (k < 0) error(s.where, "unknown slot " + quote_value(s.id));
      else if (std::find(re.slots.begin(), re.slots.end(), k) != re.slots.end()) error(s.where, "slot " + quote_value(s.id) + " is listed twice");
      else re.slots.push_back(k);
    }
    const int arms = static_cast<int>(e.variations.size());
    std::vector<double> weights = e.weights;
    if (weights.empty()) weights.assign(static_cast<size_t>(arms), arms ? 1.0 / arms : 0.0);
    for (int k = 0; k < arms; ++k) {
      const VariationConfig& vc = e.variations[static_cast<size_t>(k)];
      ResolvedVariation rv;
      rv.key = vc.key;
      rv.weight = k < static_cast<int>(weights.size()) ? weights[static_cast<size_t>(k)] : 0.0;
      if (vc.strategy) {
        rv.strategy = index_of(c.strategies, vc.strategy->id, [](const StrategyConfig& x) { return x.id; });
        if (rv.strategy < 0) error(vc.strategy->where, "unknown strategy " + quote_value(vc.strategy->id));
      }
      // Every term weight must name a term of the strategy each of the experiment's slots uses.
      for (const auto& [name, w] : vc.term_weights) {
        for (int32_t slot : re.slots) {
          const int32_t strat = rv.strategy >= 0 ? rv.strategy : slots[static_cast<size_t>(slot)].strategy;
          if (strat < 0) continue;
          const auto& terms = strategies[static_cast<size_t>(strat)].terms;
          if (std::none_of(terms.begin(), terms.end(), [&](const ResolvedTerm& t) { return t.name == name; }))
            error(at(at(vc.where, "term_weights"), name), "strategy " + quote_value(strategies[static_cast<size_t>(strat)].id) +
                                                         " (slot " + quote_value(c.slots[static_cast<size_t>(slot)].id) +
                                                         ") has no term named " + quote_value(name));
        }
        rv.term_names.push_back(name);
        rv.term_weights.push_back(w);
      }
      for (const IdRef& rule : vc.rules_off) {
        int32_t k2 = index_of(c.rules, rule.id, [](const RuleConfig& x) { return x.id; });
        if (k2 < 0) error(rule.where, "unknown rule " + quote_value(rule.id));
        else if (c.rules[static_cast<size_t>(k2)].action == fb::RuleAction::Exclude)
          error(rule.where, "rule " + quote_value(rule.id) + " is an exclude rule (a hard filter): experiments cannot switch it off");
        else rv.rules_off.push_back(k2);
      }
      std::sort(rv.rules_off.begin(), rv.rules_off.end());
      rv.rules_off.erase(std::unique(rv.rules_off.begin(), rv.rules_off.end()), rv.rules_off.end());
      rv.successes = vc.successes.value_or(0);
      rv.trials = vc.trials.value_or(0);
      re.variations.push_back(std::move(rv));
    }
    if (e.forced) {
      re.forced = index_of(re.variations, e.forced->id, [](const ResolvedVariation& x) { return x.key; });
      if (re.forced < 0) error(e.forced->where, "unknown variation " + quote_value(e.forced->id));
    } else if (e.stopped) {
      re.forced = 0;  // stopped without a forced variation: everyone gets the first (the control)
    }
    if (e.stats) read_stats(c, e, re, errors);
    // Bucket ranges as GrowthBook computes them (bandits: equal weights, only coverage matters).
    const bool fixed = e.allocation == static_cast<uint8_t>(Allocation::kFixed);
    const std::vector<double> equal(static_cast<size_t>(arms), arms ? 1.0 / arms : 0.0);
    for (const BucketRange& br : bucket_ranges(arms, e.coverage, fixed ? weights : equal)) {
      re.ranges.push_back(br.start);
      re.ranges.push_back(br.end);
    }
    if (e.allocation == static_cast<uint8_t>(Allocation::kThompson) && arms > 0) {
      std::vector<double> s, t, p(static_cast<size_t>(arms));
      for (const ResolvedVariation& v : re.variations) {
        s.push_back(v.successes);
        t.push_back(v.trials);
      }
      thompson_propensities(bandit_seed(e.seed, "propensity", ""), kThompsonPropensityDraws, s, t, p);
      for (int k = 0; k < arms; ++k) re.variations[static_cast<size_t>(k)].propensity = p[static_cast<size_t>(k)];
    }
    out.push_back(std::move(re));
  }
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Experiment>>> write_experiments(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<ResolvedExperiment>& experiments) {
  if (experiments.empty()) return 0;
  std::vector<flatbuffers::Offset<fb::Experiment>> out;
  for (const ResolvedExperiment& re : experiments) {
    const ExperimentConfig& e = *re.config;
    std::vector<flatbuffers::Offset<fb::Variation>> vars;
    std::vector<float> weights32;
    for (const ResolvedVariation& v : re.variations) {
      auto key = fbb.CreateString(v.key);
      auto names = v.term_names.empty() ? 0 : fbb.CreateVectorOfStrings(v.term_names);
      auto tw = v.term_weights.empty() ? 0 : fbb.CreateVector(v.term_weights);
      auto rules = v.rules_off.empty() ? 0 : fbb.CreateVector(v.rules_off);
      fb::VariationBuilder b(fbb);
      b.add_key(key);
      b.add_weight(v.weight);
      b.add_strategy(v.strategy);
      if (!names.IsNull()) b.add_term_names(names);
      if (!tw.IsNull()) b.add_term_weights(tw);
      if (!rules.IsNull()) b.add_rules_off(rules);
      b.add_successes(v.successes);
      b.add_trials(v.trials);
      b.add_propensity(v.propensity);
      vars.push_back(b.Finish());
      weights32.push_back(static_cast<float>(v.weight));
    }
    auto id = fbb.CreateString(e.id);
    auto seed = fbb.CreateString(e.seed);
    auto weights = fbb.CreateVector(weights32);
    auto hash_attribute = e.hash_attribute.empty() ? 0 : fbb.CreateString(e.hash_attribute);
    auto ranges = fbb.CreateVector(re.ranges);
    auto ns = e.namespace_id.empty() ? 0 : fbb.CreateString(e.namespace_id);
    auto slots = fbb.CreateVector(re.slots);
    auto purpose = e.purpose ? fbb.CreateString(*e.purpose) : 0;
    auto variations = fbb.CreateVector(vars);
    auto condition = e.condition.empty() ? 0 : fbb.CreateVector(e.condition);
    fb::ExperimentBuilder b(fbb);
    b.add_id(id);
    b.add_seed(seed);
    b.add_hash_version(static_cast<uint8_t>(e.hash_version));
    b.add_coverage(static_cast<float>(e.coverage));
    b.add_weights(weights);
    if (!condition.IsNull()) b.add_condition(condition);
    if (!hash_attribute.IsNull()) b.add_hash_attribute(hash_attribute);
    b.add_coverage_f64(e.coverage);
    b.add_ranges(ranges);
    if (!ns.IsNull()) {
      b.add_namespace_id(ns);
      b.add_namespace_start(e.namespace_start);
      b.add_namespace_end(e.namespace_end);
    }
    b.add_slots(slots);
    if (!purpose.IsNull()) b.add_purpose(purpose);
    b.add_forced(re.forced);
    b.add_allocation(e.allocation);
    b.add_epsilon(e.epsilon);
    b.add_variations(variations);
    out.push_back(b.Finish());
  }
  return fbb.CreateVector(out);
}

}  // namespace tailor::sync
