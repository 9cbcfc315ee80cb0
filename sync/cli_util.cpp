#include "cli_util.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "commands.h"

namespace tailor::sync {

int usage_error(std::string_view command, const std::string& message, const char* usage) {
  std::fprintf(stderr, "tailor %.*s: %s\n\n%s", static_cast<int>(command.size()), command.data(), message.c_str(),
               usage);
  return kExitUsage;
}

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

void print_errors(std::string_view command, const ErrorList& errors) {
  for (const std::string& m : errors.messages()) std::fprintf(stderr, "%s\n", m.c_str());
  size_t n = errors.messages().size();
  std::fprintf(stderr, "tailor %.*s: %zu error%s%s; nothing written\n", static_cast<int>(command.size()),
               command.data(), n, n == 1 ? "" : "s", errors.full() ? " (stopped at the limit)" : "");
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t elapsed_ms(int64_t start_ns) { return (now_ns() - start_ns) / 1'000'000; }

}  // namespace tailor::sync
