#include "tailor/engine.h"

#include <cstring>

namespace tailor {

Status Engine::load_snapshot(std::span<const uint8_t> bytes, std::string_view expected_tenant) {
  if (bytes.size() > limits_.snapshot.max_bytes)
    return Status(Code::kLimitExceeded, "snapshot is " + std::to_string(bytes.size()) +
                                            " bytes, over the limit of " + std::to_string(limits_.snapshot.max_bytes));
  std::unique_ptr<uint64_t[]> copy(new uint64_t[(bytes.size() + 7) / 8 + 1]);
  if (!bytes.empty()) std::memcpy(copy.get(), bytes.data(), bytes.size());
  auto opened = Snapshot::open({reinterpret_cast<const uint8_t*>(copy.get()), bytes.size()}, limits_.snapshot);
  if (!opened.ok()) return opened.status();
  if (!expected_tenant.empty()) {
    std::string_view tenant = sv(opened.value().root().tenant()->id());
    if (tenant != expected_tenant)
      return Status(Code::kTenantMismatch, "snapshot is for tenant '" + std::string(tenant) + "', this engine serves '" +
                                               std::string(expected_tenant) + "': refused, the previous snapshot keeps serving");
  }
  bytes_ = std::move(copy);
  snapshot_ = std::move(opened.value());
  loaded_ = true;
  output_.clear();
  return Status::Ok();
}

Status Engine::decide(std::string_view request_json, std::span<const uint8_t> profile_bytes) {
  output_.clear();
  if (!loaded_) return Status(Code::kNoSnapshot, "no snapshot loaded: call load_snapshot first");
  auto req = parse_request(request_json, limits_.request);
  if (!req.ok()) return req.status();
  arena_.reset();
  Profile profile;
  const Profile* p = nullptr;
  if (!profile_bytes.empty()) {
    // The profile is read in place, and FlatBuffers loads scalars through typed pointers: a host
    // buffer at an odd address is copied to aligned scratch first (the size cap applies first).
    if (reinterpret_cast<uintptr_t>(profile_bytes.data()) % alignof(uint64_t) != 0 &&
        profile_bytes.size() <= limits_.profile.max_bytes) {
      auto copy = arena_.alloc<uint64_t>((profile_bytes.size() + 7) / 8);
      std::memcpy(copy.data(), profile_bytes.data(), profile_bytes.size());
      profile_bytes = {reinterpret_cast<const uint8_t*>(copy.data()), profile_bytes.size()};
    }
    auto opened = Profile::open(profile_bytes, limits_.profile);
    if (!opened.ok()) return opened.status();
    profile = opened.value();
    std::string_view ptenant = sv(profile.root().tenant());
    std::string_view stenant = sv(snapshot_.root().tenant()->id());
    if (!ptenant.empty() && ptenant != stenant)
      return Status(Code::kTenantMismatch, "profile is for tenant '" + std::string(ptenant) + "', this snapshot is '" +
                                               std::string(stenant) + "'");
    p = &profile;
  }
  Status st = tailor::decide(snapshot_, req.value(), p, arena_, output_, limits_.pipeline);
  if (!st.ok()) output_.clear();
  return st;
}

}  // namespace tailor
