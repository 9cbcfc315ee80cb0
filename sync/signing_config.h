// The tenant's signing policy in tailor.json (docs/sync.md#signing-policy): how many approver
// signatures a snapshot needs and whose keys count. `tailor verify --config` enforces it.
//   "signing": {"required": 2, "approvers": [{"name": "alice", "key": "<64 hex>"},
//                                              {"name": "bob", "key_file": "keys/bob.pub"}]}
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "signing.h"

namespace tailor::sync {

class ConfigReader;

constexpr size_t kMaxApprovers = 64;

struct Approver {
  std::string name;
  Trusted key;
};

struct SigningConfig {
  uint32_t required = 0;  // 0: the config sets no policy
  std::vector<Approver> approvers;
  std::string tenant;     // tenant.id of the config read by read_signing_config ("" when absent)
};

// Reads `signing` of a tenant config's root (absent: `out` stays empty). Problems are reported
// with their path: signing.approvers[1].key: not a public key ..., signing.required: ...
void parse_signing(ConfigReader& r, const nlohmann::json& root, SigningConfig& out);

// Reads only the `signing` section of the config file `path` (sources are not touched, so an
// approver needs no database access). False with the problems in `errors` (an unreadable file
// with add_io); a config without `signing` is an error too.
bool read_signing_config(const std::filesystem::path& path, SigningConfig& out, ErrorList& errors);

// The comma-separated .pub files of a --pub option as approvers named by file stem (a key given
// twice counts once). False with `why` ("FILE: why"); `io` says a file could not be read (exit 4)
// rather than holding no public key (exit 1).
bool read_public_key_files(std::string_view list, std::vector<Approver>& out, std::string& why, bool& io);

// The approver's name for a key id ("" when none).
std::string approver_name(const SigningConfig& c, const std::string& key_id);

}  // namespace tailor::sync
