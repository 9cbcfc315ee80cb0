// tailor: the origin command line (build, profiles, inspect, decide, sign, publish, ...). See docs/cli.md.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "commands.h"

namespace {

const char* kUsage =
    "usage: tailor <command> [options]\n"
    "\n"
    "Commands:\n"
    "  build      build a snapshot from a tenant config and its sources\n"
    "  profiles   build visitor profiles from events\n"
    "  inspect    verify a snapshot and print a JSON summary\n"
    "  decide     decide one request with a snapshot (and a visitor profile)\n"
    "  keygen     create an Ed25519 key pair for signing snapshots\n"
    "  sign       add this key's signature to a snapshot's signature envelope\n"
    "  verify     check a snapshot's signatures (K of N trusted keys)\n"
    "  keys       print the approvers' keys and K as the edge adapters' settings take them\n"
    "  publish    publish a snapshot to a directory, Cloudflare KV or the local edge\n"
    "  rollback   make a kept version live again (or --list the versions)\n"
    "  experiment GrowthBook-compatible experiment hashing and bucketing (NDJSON)\n"
    "  jsonlogic  evaluate JsonLogic rules as snapshots do (NDJSON)\n"
    "  explain    render a decision JSON as readable tables\n"
    "  diff       what changed between two snapshots (items, rules, prices, policies, ...)\n"
    "  help [command]\n"
    "\n"
    "`tailor <command> --help` shows a command's options. docs/cli.md has the details.\n"
    "Exit codes: 0 ok, 1 input error, 2 usage error, 3 invalid snapshot, 4 io error.\n";

struct Command {
  const char* name;
  int (*run)(int, char**);
};

const Command kCommands[] = {
    {"build", cmd_build}, {"profiles", cmd_profiles}, {"inspect", cmd_inspect}, {"decide", cmd_decide},
    {"keygen", cmd_keygen}, {"sign", cmd_sign}, {"verify", cmd_verify}, {"keys", cmd_keys}, {"publish", cmd_publish}, {"rollback", cmd_rollback}, {"experiment", cmd_experiment},
    {"jsonlogic", cmd_jsonlogic}, {"explain", cmd_explain}, {"diff", cmd_diff}};

const Command* find(std::string_view name) {
  for (const Command& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tailor::sync;
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    if (cmd == "help" && argc > 2) {
      const Command* c = find(argv[2]);
      if (!c) {
        std::fprintf(stderr, "tailor help: unknown command '%s'\n\n%s", argv[2], kUsage);
        return kExitUsage;
      }
      char help[] = "--help";
      char* sub[] = {argv[2], help, nullptr};
      return c->run(2, sub);
    }
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (cmd == "--version") {
    std::printf("tailor %s\n", TAILOR_VERSION);
    return kExitOk;
  }
  const Command* c = find(cmd);
  if (!c) {
    std::fprintf(stderr, "tailor: unknown command '%s'\n\n%s", argv[1], kUsage);
    return kExitUsage;
  }
  return c->run(argc - 1, argv + 1);
}
