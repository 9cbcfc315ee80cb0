// Experiments in the tenant config (docs/experiments.md): `experiments: [...]` parsed and checked
// for shape, resolved against slots, strategies and rules (term weight overrides checked against
// every strategy they would change), bandit statistics read from the config or a source, Thompson
// propensities estimated, and the Experiment tables written.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>
#include <nlohmann/json.hpp>

#include "config.h"
#include "errors.h"
#include "tailor/snapshot_generated.h"

namespace tailor::sync {

class ConfigReader;
struct ResolvedStrategy;
struct ResolvedSlot;

struct ResolvedVariation {
  std::string key;
  double weight = 0;  // fixed allocation: share of the covered traffic
  int32_t strategy = -1;
  std::vector<std::string> term_names;
  std::vector<float> term_weights;
  std::vector<int32_t> rules_off;  // sorted
  double successes = 0, trials = 0;
  double propensity = -1;  // thompson only
};

struct ResolvedExperiment {
  const ExperimentConfig* config = nullptr;
  std::vector<int32_t> slots;  // config order
  std::vector<ResolvedVariation> variations;
  std::vector<double> ranges;  // start, end per variation
  int32_t forced = -1;
};

// Reads the top-level "experiments" array into `c.experiments`; problems go to the reader's errors.
void parse_experiments(ConfigReader& r, const nlohmann::json& root, Config& c);

// Resolves slots, strategies, rules and term names, reads statistics sources and estimates
// Thompson propensities. `strategies` and `slots` are the resolved ones (config order).
void resolve_experiments(const Config& c, const std::vector<ResolvedStrategy>& strategies,
                         const std::vector<ResolvedSlot>& slots, std::vector<ResolvedExperiment>& out,
                         ErrorList& errors);

// The snapshot's experiments vector (null offset when there are none).
flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Experiment>>> write_experiments(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<ResolvedExperiment>& experiments);

}  // namespace tailor::sync
