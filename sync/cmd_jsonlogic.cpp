// `tailor jsonlogic`: compiles each NDJSON line's rule with the `tailor build` compiler and
// evaluates it with the core evaluator (what the edge runs), one output line per input line.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "args.h"
#include "cli_util.h"
#include "commands.h"
#include "json_parse.h"
#include "jsonlogic.h"
#include "tailor/expr.h"

using nlohmann::json;
using namespace tailor::sync;

const char* const kJsonlogicUsage =
    "usage: tailor jsonlogic [--max-steps N] < cases.ndjson\n"
    "\n"
    "Evaluates JsonLogic rules exactly as snapshots do: each line {\"rule\": R, \"data\": D} is\n"
    "compiled by the `tailor build` compiler and run by the engine's evaluator. One line out per\n"
    "line in: {\"result\": V} or {\"error\": \"...\"}. `data` may be omitted (null).\n"
    "\n"
    "  --max-steps N   step budget per rule (default 10000; docs/targeting.md)\n"
    "\n"
    "Exit codes: 0 every line answered with a result, 1 some line was an error (the others\n"
    "still answered), 2 usage.\n";

namespace {

bool answer(const json& doc, const tailor::expr::Limits& limits, std::string& result, std::string& why) {
  if (!doc.is_object()) {
    why = "expected an object {\"rule\": ..., \"data\": ...}";
    return false;
  }
  auto rule = doc.find("rule");
  if (rule == doc.end()) {
    why = "missing \"rule\"";
    return false;
  }
  std::vector<uint8_t> program;
  std::string where;
  if (!compile_jsonlogic(*rule, program, where, why, limits)) {
    if (!where.empty()) why = where + ": " + why;
    return false;
  }
  auto data = doc.find("data");
  auto r = tailor::expr::evaluate(program, data == doc.end() ? json(nullptr) : *data, limits);
  if (!r.ok()) {
    why = r.status().message();
    return false;
  }
  tailor::expr::write_json(r.value(), result);
  return true;
}

}  // namespace

int run_jsonlogic(std::istream& in, std::ostream& out, uint64_t max_steps) {
  tailor::expr::Limits limits;
  limits.max_steps = max_steps;
  std::string line;
  size_t line_no = 0;
  bool any_error = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    json doc;
    std::string why, result;
    bool ok = false;
    if (line.find_first_not_of(" \t") == std::string::npos) why = "empty line";
    else if (parse_json(line, doc, why)) ok = answer(doc, limits, result, why);
    if (ok) {
      out << "{\"result\":" << result << "}\n";
    } else {
      any_error = true;
      out << "{\"error\":" << dump_json(nlohmann::ordered_json("line " + std::to_string(line_no) + ": " + why)) << "}\n";
    }
    out.flush();
  }
  return any_error ? kExitInput : kExitOk;
}

int cmd_jsonlogic(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv, {{"--max-steps", true}}, args, err)) return usage_error("jsonlogic", err, kJsonlogicUsage);
  if (args.help) {
    std::fputs(kJsonlogicUsage, stdout);
    return kExitOk;
  }
  if (!args.positional.empty())
    return usage_error("jsonlogic", "unexpected argument '" + args.positional[0] + "'", kJsonlogicUsage);
  uint64_t max_steps = tailor::expr::Limits{}.max_steps;
  if (auto v = args.get("--max-steps")) {
    char* end = nullptr;
    unsigned long long n = std::strtoull(v->c_str(), &end, 10);
    if (v->empty() || *end || n == 0 || (*v)[0] == '-')
      return usage_error("jsonlogic", "--max-steps must be a positive integer", kJsonlogicUsage);
    max_steps = n;
  }
  std::ios::sync_with_stdio(false);
  return run_jsonlogic(std::cin, std::cout, max_steps);
}
