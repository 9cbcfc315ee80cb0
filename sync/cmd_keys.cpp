// `tailor keys`: the edge side of a tenant's signing policy. Prints the approvers' public keys and
// K in the form each edge adapter's settings take (docs/edge.md#snapshot-signatures), from
// tailor.json `signing` (or --pub files), so nobody types keys into a dashboard from memory.
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "args.h"
#include "cli_util.h"
#include "commands.h"
#include "json_parse.h"
#include "signing.h"
#include "signing_config.h"

using namespace tailor::sync;
using ojson = nlohmann::ordered_json;

const char* const kKeysUsage =
    "usage: tailor keys (--config tailor.json | --pub A.pub[,B.pub...] [--required K])\n"
    "                   [--format env|base64|cloudflare|fastly] [--tenant T] [--json]\n"
    "\n"
    "Prints the approvers' Ed25519 public keys and the number of signatures required (K) as the\n"
    "edge adapters' settings take them, so the edge enforces the same two-person rule as\n"
    "`tailor publish --config`. Every adapter accepts every format below; env is recommended.\n"
    "\n"
    "Options:\n"
    "  --config FILE  the tenant's tailor.json: its \"signing\" {required, approvers} and tenant.id\n"
    "  --pub FILES    approver .pub files instead (comma-separated); --required K (default 1)\n"
    "  --format F     env (default): TAILOR_PUBLIC_KEYS=<hex>,<hex> and TAILOR_REQUIRED_SIGNATURES=K\n"
    "                   (environment of the Cloudflare Worker, Deno Deploy, Netlify, Vercel)\n"
    "                 base64: the same two lines with base64 keys (older adapter settings)\n"
    "                 cloudflare: the tenant's entry of the Worker's TAILOR_TENANT_SETTINGS\n"
    "                   {\"<tenant>\": {\"public_keys\": [hex...], \"required_signatures\": K}}\n"
    "                 fastly: the Config Store tailor_config entries public_keys and\n"
    "                   required_signatures, one `key=value` per line\n"
    "  --tenant T     the tenant for --format cloudflare (default: tenant.id of --config)\n"
    "  --json         {\"ok\",\"tenant\",\"required_signatures\",\"approvers\":[{\"name\",\"key_id\",\"hex\",\n"
    "                 \"base64\"}],\"public_keys\":\"<hex>,<hex>\"} on stdout\n"
    "\n"
    "Exit codes: 0 printed, 1 malformed key or signing policy, 2 usage, 4 a file not readable.\n";

namespace {

std::string hex_of(const PublicKey& pk) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t b : pk) {
    s += d[b >> 4];
    s += d[b & 15];
  }
  return s;
}

}  // namespace

int cmd_keys(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv,
                  {{"--config", true}, {"--pub", true}, {"--required", true}, {"--format", true}, {"--tenant", true},
                   {"--json", false}},
                  args, err))
    return usage_error("keys", err, kKeysUsage);
  if (args.help) {
    std::fputs(kKeysUsage, stdout);
    return kExitOk;
  }
  if (!args.positional.empty())
    return usage_error("keys", "unexpected argument '" + args.positional[0] + "'", kKeysUsage);
  auto config = args.get("--config");
  auto pubs = args.get("--pub");
  if (config && pubs) return usage_error("keys", "give --config or --pub, not both", kKeysUsage);
  if (!config && !pubs) return usage_error("keys", "--config tailor.json or --pub FILES is required", kKeysUsage);
  if (config && args.has("--required"))
    return usage_error("keys", "--required goes with --pub (--config has signing.required)", kKeysUsage);
  const std::string format = args.get("--format").value_or("env");
  if (format != "env" && format != "base64" && format != "cloudflare" && format != "fastly")
    return usage_error("keys", "--format: '" + format + "' is not env, base64, cloudflare or fastly", kKeysUsage);
  if (!crypto_ready()) {
    std::fputs("tailor keys: libsodium failed to initialise\n", stderr);
    return kExitIo;
  }

  SigningConfig sc;
  if (config) {
    ErrorList errors;
    if (!read_signing_config(*config, sc, errors)) {
      for (const std::string& m : errors.messages()) std::fprintf(stderr, "tailor keys: %s\n", m.c_str());
      return errors.has_io_error() ? kExitIo : kExitInput;
    }
  } else {
    bool io = false;
    if (!read_public_key_files(*pubs, sc.approvers, err, io)) {
      if (err.rfind("--pub", 0) == 0) return usage_error("keys", err, kKeysUsage);
      std::fprintf(stderr, "tailor keys: %s\n", err.c_str());
      return io ? kExitIo : kExitInput;
    }
    sc.required = 1;
    if (auto k = args.get("--required")) {
      int n = 0;
      bool ok = !k->empty() && k->size() <= 2;
      for (char c : *k) ok = ok && c >= '0' && c <= '9';
      if (ok) n = std::stoi(*k);
      if (!ok || n < 1 || static_cast<size_t>(n) > sc.approvers.size())
        return usage_error("keys",
                           "--required needs a count 1.." + std::to_string(sc.approvers.size()) +
                               " (the distinct keys given), got '" + *k + "'",
                           kKeysUsage);
      sc.required = static_cast<uint32_t>(n);
    }
  }
  const std::string tenant = args.get("--tenant").value_or(sc.tenant);
  if (config && args.has("--tenant") && !sc.tenant.empty() && tenant != sc.tenant)
    return usage_error("keys", "--tenant " + tenant + " but " + *config + " is the config of tenant " + sc.tenant,
                       kKeysUsage);
  if (format == "cloudflare" && tenant.empty())
    return usage_error("keys", "--format cloudflare needs the tenant: --tenant T (or a config with tenant.id)",
                       kKeysUsage);

  std::string hex_list, b64_list;
  ojson hex_array = ojson::array(), approvers = ojson::array();
  for (const Approver& a : sc.approvers) {
    const std::string h = hex_of(a.key.pk), b = to_base64(a.key.pk);
    hex_list += (hex_list.empty() ? "" : ",") + h;
    b64_list += (b64_list.empty() ? "" : ",") + b;
    hex_array.push_back(h);
    approvers.push_back({{"name", a.name}, {"key_id", a.key.key_id}, {"hex", h}, {"base64", b}});
  }
  if (args.has("--json")) {
    ojson j = {{"ok", true},
               {"tenant", tenant.empty() ? ojson(nullptr) : ojson(tenant)},
               {"required_signatures", sc.required},
               {"approvers", approvers},
               {"public_keys", hex_list}};
    std::printf("%s\n", dump_json(j).c_str());
    return kExitOk;
  }
  const std::string k = std::to_string(sc.required);
  if (format == "env" || format == "base64") {
    std::printf("TAILOR_PUBLIC_KEYS=%s\nTAILOR_REQUIRED_SIGNATURES=%s\n",
                (format == "env" ? hex_list : b64_list).c_str(), k.c_str());
  } else if (format == "fastly") {
    std::printf("public_keys=%s\nrequired_signatures=%s\n", hex_list.c_str(), k.c_str());
  } else {
    ojson entry = {{tenant, {{"public_keys", hex_array}, {"required_signatures", sc.required}}}};
    std::printf("%s\n", dump_json(entry).c_str());
  }
  return kExitOk;
}
