// Snapshot feature levels: which features a snapshot uses and the lowest engine feature level
// that reads them all (tailor/snapshot.h, docs/architecture.md#snapshot-feature-levels).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tailor/snapshot.h"

namespace tailor::sync {

struct SnapshotFeature {
  const char* name;  // as `tailor inspect` lists it
  uint32_t level;    // the feature level that introduced it
};

// The features above level 1 that `root` uses, in the order of the level table.
std::vector<SnapshotFeature> snapshot_features(const fb::Snapshot& root);

// The lowest feature level that reads every feature `root` uses (1 when it uses none above 1).
uint32_t required_feature_level(const fb::Snapshot& root);

// Stamps `level` as min_engine into a finished snapshot buffer whose root has min_engine set
// (the writer always sets it); the buffer's size and layout do not change.
bool stamp_min_engine(std::vector<uint8_t>& buffer, uint32_t level);

}  // namespace tailor::sync
