// A small command-line flag parser shared by the tailor subcommands.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tailor::sync {

struct Flag {
  std::string_view name;  // "--config"
  bool takes_value;
};

struct Args {
  std::map<std::string, std::string, std::less<>> values;  // flag -> value ("" for switches)
  std::vector<std::string> positional;
  bool help = false;  // --help or -h was given

  bool has(std::string_view flag) const { return values.find(flag) != values.end(); }
  std::optional<std::string> get(std::string_view flag) const;
};

// Parses argv[1..] (argv[0] is the command name). Accepts "--flag value" and "--flag=value".
// Returns false with `error` set on an unknown flag, a missing value or a repeated flag.
bool parse_args(int argc, char** argv, const std::vector<Flag>& flags, Args& out, std::string& error);

}  // namespace tailor::sync
