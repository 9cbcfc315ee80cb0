// Helpers shared by the command implementations: usage errors, progress on a TTY.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "errors.h"

namespace tailor::sync {

// Prints "tailor <cmd>: <message>" and the usage to stderr; returns kExitUsage.
int usage_error(std::string_view command, const std::string& message, const char* usage);

// True when stderr is a terminal (progress lines are shown only then).
bool stderr_is_tty();

// Prints every message of `errors` to stderr, one per line, and a closing count.
void print_errors(std::string_view command, const ErrorList& errors);

// Milliseconds since `start_ns` (a steady-clock reading from now_ns()).
int64_t now_ns();
int64_t elapsed_ms(int64_t start_ns);

}  // namespace tailor::sync
