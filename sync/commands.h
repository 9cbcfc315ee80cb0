// The tailor subcommands. Each takes argv with argv[0] = the command name ("build") and returns
// the process exit code (see docs/cli.md).
#pragma once
#include <cstdint>
#include <iosfwd>

namespace tailor::sync {

// Exit codes shared by every command.
enum Exit : int {
  kExitOk = 0,
  kExitInput = 1,     // bad config, sources, events or request
  kExitUsage = 2,     // unknown command or option, missing argument
  kExitSnapshot = 3,  // invalid snapshot (or profile)
  kExitIo = 4,        // a file cannot be read or written, or a source database cannot be reached
  kExitLocked = 5,    // publish/rollback: another publisher holds the tenant's publish lock
};

}  // namespace tailor::sync

int cmd_build(int argc, char** argv);
int cmd_profiles(int argc, char** argv);
int cmd_inspect(int argc, char** argv);
int cmd_decide(int argc, char** argv);  // sync/cmd_decide.cpp
int cmd_keygen(int argc, char** argv);  // sync/cmd_sign.cpp
int cmd_sign(int argc, char** argv);    // sync/cmd_sign.cpp
int cmd_verify(int argc, char** argv);  // sync/cmd_sign.cpp
int cmd_keys(int argc, char** argv);    // sync/cmd_keys.cpp
int cmd_experiment(int argc, char** argv);  // sync/cmd_experiment.cpp
// The NDJSON loop of `tailor experiment` (stdin/stdout in the command); returns the exit code.
int run_experiment(std::istream& in, std::ostream& out);
int cmd_jsonlogic(int argc, char** argv);  // sync/cmd_jsonlogic.cpp
int cmd_explain(int argc, char** argv);    // sync/cmd_explain.cpp
int cmd_publish(int argc, char** argv);    // sync/cmd_publish.cpp
int cmd_rollback(int argc, char** argv);   // sync/cmd_publish.cpp
extern const char* const kPublishUsage;
extern const char* const kRollbackUsage;
int cmd_diff(int argc, char** argv);       // sync/cmd_diff.cpp
// `tailor explain` on streams (decision JSON in, text out, messages to err); returns the exit code.
int run_explain(std::istream& in, std::ostream& out, std::ostream& err);
extern const char* const kExplainUsage;
// The NDJSON loop of `tailor jsonlogic`; returns the exit code.
int run_jsonlogic(std::istream& in, std::ostream& out, uint64_t max_steps);

// One-line summaries and full usage texts, for `tailor --help` and `tailor <cmd> --help`.
extern const char* const kBuildUsage;
extern const char* const kProfilesUsage;
extern const char* const kInspectUsage;
extern const char* const kKeygenUsage;
extern const char* const kSignUsage;
extern const char* const kVerifyUsage;
extern const char* const kKeysUsage;
extern const char* const kExperimentUsage;
extern const char* const kJsonlogicUsage;
extern const char* const kDiffUsage;
