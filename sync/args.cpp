#include "args.h"

namespace tailor::sync {

std::optional<std::string> Args::get(std::string_view flag) const {
  auto it = values.find(flag);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

bool parse_args(int argc, char** argv, const std::vector<Flag>& flags, Args& out, std::string& error) {
  out = Args();
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (only_positional || a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      out.help = true;
      continue;
    }
    std::string name = a, value;
    bool inline_value = false;
    if (size_t eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    const Flag* flag = nullptr;
    for (const Flag& f : flags)
      if (f.name == name) flag = &f;
    if (!flag) {
      error = "unknown option '" + name + "'";
      return false;
    }
    if (flag->takes_value && !inline_value) {
      if (i + 1 >= argc) {
        error = "option '" + name + "' needs a value";
        return false;
      }
      value = argv[++i];
    } else if (!flag->takes_value && inline_value) {
      error = "option '" + name + "' takes no value";
      return false;
    }
    if (!out.values.emplace(name, value).second) {
      error = "option '" + name + "' given twice";
      return false;
    }
  }
  return true;
}

}  // namespace tailor::sync
