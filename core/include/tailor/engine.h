// Engine: owns one tenant's active snapshot and a scratch arena; what the C ABI wraps.
#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "tailor/arena.h"
#include "tailor/pipeline.h"
#include "tailor/snapshot.h"
#include "tailor/status.h"

namespace tailor {

struct EngineLimits {
  SnapshotLimits snapshot;
  RequestLimits request;
  ProfileLimits profile;
  PipelineLimits pipeline;
};

class Engine {
 public:
  explicit Engine(EngineLimits limits = {}) : limits_(limits) {}

  // Copies `bytes`, verifies them and makes them the active snapshot. On any error the previous
  // snapshot (if any) keeps serving. A non-empty `expected_tenant` refuses (kTenantMismatch,
  // before activation) a snapshot built for any other tenant, however validly it is signed.
  Status load_snapshot(std::span<const uint8_t> bytes, std::string_view expected_tenant = {});
  // Decides `request_json` (optionally with profile bytes; empty span = none). The decision JSON
  // stays valid in output() until the next decide() or load_snapshot(). A profile that records
  // another tenant than the snapshot's is refused (kTenantMismatch): profiles never cross tenants.
  Status decide(std::string_view request_json, std::span<const uint8_t> profile);
  const std::string& output() const { return output_; }
  // Active snapshot or null.
  const Snapshot* snapshot() const { return loaded_ ? &snapshot_ : nullptr; }

 private:
  EngineLimits limits_;
  std::unique_ptr<uint64_t[]> bytes_;  // 8-byte aligned copy of the snapshot
  Snapshot snapshot_;
  bool loaded_ = false;
  Arena arena_;
  std::string output_;
};

}  // namespace tailor
