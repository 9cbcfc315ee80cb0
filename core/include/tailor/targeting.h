// Targeting: segment membership and JsonLogic conditions, decided once per request
// (docs/targeting.md). Membership = the segment ids the request lists + the segments whose
// compiled condition is true. Conditions (segments, rules, slots, experiments) all read the same
// per-request *condition data*, built on the first condition evaluated and reused after that.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tailor/arena.h"
#include "tailor/json_writer.h"
#include "tailor/profile.h"
#include "tailor/request.h"
#include "tailor/snapshot.h"
#include "tailor/status.h"

namespace tailor {

struct TargetingLimits {
  uint64_t max_steps_per_condition = 10'000;  // expr::Limits::max_steps of one evaluation
  uint64_t max_steps_per_request = 100'000;   // shared by every condition of one request
};

// What a condition belongs to: results are cached per (owner, index) for the request, and
// evaluation errors are reported under the owner's id ("rule", "summer-sale").
enum class ConditionOf : uint8_t { kSegment = 0, kRule, kSlot, kExperiment, kPolicy, kCount };
const char* condition_of_name(ConditionOf of);

// A condition that could not be evaluated (treated as false): step budget, type error, bad bytes.
struct ConditionError {
  ConditionOf of;
  int32_t index;        // into the snapshot's table of `of`
  std::string message;  // "condition: step budget of 10000 exceeded"
};

class Targeting {
 public:
  Targeting();
  ~Targeting();
  Targeting(Targeting&&) noexcept;
  Targeting& operator=(Targeting&&) noexcept;

  // Computes segment membership for `req` against `snap`: listed ids first, then each segment's
  // condition in snapshot order. `profile` is the consented profile (null: none or no consent);
  // `now` the request's unix seconds. Flags and caches live in `arena`.
  Status init(const Snapshot& snap, const Request& req, const Profile* profile, int64_t now, Arena& arena,
              const TargetingLimits& limits = {});
  // True when the request is in snapshot segment `segment_index` (false when out of range).
  bool in_segment(int32_t segment_index) const {
    return segment_index >= 0 && static_cast<size_t>(segment_index) < member_.size() && member_[segment_index];
  }
  size_t segment_count() const { return member_.size(); }

  // Whether the compiled condition `program` of `of`[`index`] is true for this request. An empty
  // or absent program is true. Evaluated at most once per (of, index) per request (cached); an
  // evaluation error makes it false and is recorded in errors(). Never fails the request.
  bool condition_true(ConditionOf of, int32_t index, std::span<const uint8_t> program);
  bool condition_true(ConditionOf of, int32_t index, const flatbuffers::Vector<uint8_t>* program) {
    return !program || program->size() == 0 ||
           condition_true(of, index, std::span<const uint8_t>(program->data(), program->size()));
  }

  // Conditions of this request that failed to evaluate, in evaluation order.
  const std::vector<ConditionError>& errors() const { return errors_; }
  // Writes the decision key "condition_errors": [{"of", "id", "error"}] when there are errors.
  void write_errors(JsonWriter& w) const;

  // The condition data (docs/targeting.md), built on first use. Exposed for tests and tools.
  const nlohmann::json& data();

 private:
  void build_data();
  bool evaluate(ConditionOf of, int32_t index, std::span<const uint8_t> program);

  const Snapshot* snap_ = nullptr;
  const Request* req_ = nullptr;
  const Profile* profile_ = nullptr;
  int64_t now_ = 0;
  TargetingLimits limits_;
  uint64_t steps_left_ = 0;
  std::span<uint8_t> member_;
  std::span<uint8_t> cache_[static_cast<int>(ConditionOf::kCount)];  // 0 unknown, 1 false, 2 true
  std::unique_ptr<nlohmann::json> data_;
  std::vector<ConditionError> errors_;
};

}  // namespace tailor
