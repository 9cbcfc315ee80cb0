// `tailor decide`: one decision from the native core, same code path as tailor.wasm.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "tailor/engine.h"
#include "tailor/json_writer.h"

namespace {

const char* kUsage =
    "usage: tailor decide --snapshot FILE [--profile FILE] [--request FILE] [--pretty]\n"
    "\n"
    "Reads a decision request (JSON, see docs/api.md) from --request or stdin, decides it with\n"
    "the snapshot (and the visitor's profile, if given) and prints the decision JSON on stdout.\n"
    "\n"
    "  --snapshot FILE   snapshot built by `tailor build` (.tsnap)\n"
    "  --profile FILE    visitor profile built by `tailor profiles` (.tprof)\n"
    "  --request FILE    request JSON (default: stdin)\n"
    "  --pretty          indent the output for reading\n"
    "\n"
    "Exit codes: 0 decided, 1 the request was refused (error JSON on stdout, message on stderr),\n"
    "2 usage, 3 invalid snapshot or profile, 4 file not readable.\n";

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

std::string pretty(const std::string& s) {
  std::string out;
  int depth = 0;
  bool in_str = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      out += c;
      if (c == '\\') out += s[++i];
      else if (c == '"') in_str = false;
      continue;
    }
    switch (c) {
      case '"': in_str = true; out += c; break;
      case '{': case '[':
        out += c;
        if (i + 1 < s.size() && (s[i + 1] == '}' || s[i + 1] == ']')) { out += s[++i]; break; }
        out += '\n'; out.append(2 * ++depth, ' ');
        break;
      case '}': case ']': out += '\n'; out.append(2 * --depth, ' '); out += c; break;
      case ',': out += ",\n"; out.append(2 * depth, ' '); break;
      case ':': out += ": "; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

int cmd_decide(int argc, char** argv) {
  std::string snapshot_path, profile_path, request_path;
  bool indent = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& dst) {
      if (i + 1 >= argc) return false;
      dst = argv[++i];
      return true;
    };
    if (a == "--help" || a == "-h") { std::fputs(kUsage, stdout); return 0; }
    if (a == "--snapshot") { if (!value(snapshot_path)) { std::fputs(kUsage, stderr); return 2; } }
    else if (a == "--profile") { if (!value(profile_path)) { std::fputs(kUsage, stderr); return 2; } }
    else if (a == "--request") { if (!value(request_path)) { std::fputs(kUsage, stderr); return 2; } }
    else if (a == "--pretty") indent = true;
    else { std::fprintf(stderr, "tailor decide: unknown argument '%s'\n%s", a.c_str(), kUsage); return 2; }
  }
  if (snapshot_path.empty()) { std::fprintf(stderr, "tailor decide: --snapshot is required\n%s", kUsage); return 2; }

  std::string snap, profile, request;
  if (!read_file(snapshot_path, snap)) { std::fprintf(stderr, "tailor decide: cannot read %s\n", snapshot_path.c_str()); return 4; }
  if (!profile_path.empty() && !read_file(profile_path, profile)) {
    std::fprintf(stderr, "tailor decide: cannot read %s\n", profile_path.c_str());
    return 4;
  }
  if (request_path.empty()) {
    request.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else if (!read_file(request_path, request)) {
    std::fprintf(stderr, "tailor decide: cannot read %s\n", request_path.c_str());
    return 4;
  }

  tailor::Engine engine;
  tailor::Status st = engine.load_snapshot({reinterpret_cast<const uint8_t*>(snap.data()), snap.size()});
  if (!st.ok()) {
    std::fprintf(stderr, "tailor decide: %s: %s\n", snapshot_path.c_str(), st.message().c_str());
    return 3;
  }
  st = engine.decide(request, {reinterpret_cast<const uint8_t*>(profile.data()), profile.size()});
  if (!st.ok()) {
    std::fprintf(stderr, "tailor decide: %s (%s)\n", st.message().c_str(), tailor::code_name(st.code()));
    std::string err = "{\"error\":{\"code\":\"";
    err += tailor::code_name(st.code());
    err += "\",\"status\":" + std::to_string(static_cast<int>(st.code())) + ",\"message\":\"";
    tailor::json_escape(err, st.message());
    err += "\"}}";
    std::fputs(err.c_str(), stdout);
    std::fputc('\n', stdout);
    return st.code() == tailor::Code::kProfileInvalid ? 3 : 1;
  }
  std::string out = indent ? pretty(engine.output()) : engine.output();
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fputc('\n', stdout);
  return 0;
}
