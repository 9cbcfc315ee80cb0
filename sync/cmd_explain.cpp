// `tailor explain`: a decision JSON (file or stdin) rendered as readable tables.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "args.h"
#include "commands.h"
#include "explain_render.h"
#include "json_parse.h"

using namespace tailor::sync;

const char* const kExplainUsage =
    "usage: tailor explain [FILE]\n"
    "\n"
    "Renders a decision (the JSON `tailor decide` or decide() returns, see docs/api.md) as\n"
    "readable text: per slot a table of rank, id, score, each term's contribution, rules fired,\n"
    "price, price source, tier and approval when present, and the slot's filtered counts and\n"
    "compliance policies; per decision the snapshot, time, segments and experiment arms. Keys\n"
    "it does not know are shown as key=value. Reads FILE, or stdin when FILE is absent or '-'.\n"
    "\n"
    "  tailor decide --snapshot s.tsnap --request r.json | tailor explain\n"
    "\n"
    "Exit codes: 0 rendered, 1 the input is not a decision (invalid JSON, or an error object),\n"
    "2 usage, 4 FILE not readable.\n";

int run_explain(std::istream& in, std::ostream& out, std::ostream& err) {
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  nlohmann::ordered_json d = nlohmann::ordered_json::parse(text, nullptr, false);
  if (d.is_discarded()) {
    nlohmann::json unused;
    std::string why;
    parse_json(text, unused, why);
    err << "tailor explain: input is not JSON (" << why << ")\n";
    return kExitInput;
  }
  if (d.is_object() && d.contains("error") && !d.contains("slots")) {
    err << "tailor explain: the input is an error, not a decision: " << dump_json(d["error"]) << "\n";
    return kExitInput;
  }
  if (!d.is_object() || !d.contains("slots") || !d["slots"].is_array()) {
    err << "tailor explain: input is not a decision (expected an object with \"slots\")\n";
    return kExitInput;
  }
  out << render_decision(d);
  return kExitOk;
}

int cmd_explain(int argc, char** argv) {
  Args args;
  std::string error;
  if (!parse_args(argc, argv, {}, args, error) || args.positional.size() > 1) {
    std::fprintf(stderr, "tailor explain: %s\n\n%s", error.empty() ? "at most one FILE" : error.c_str(), kExplainUsage);
    return kExitUsage;
  }
  if (args.help) {
    std::fputs(kExplainUsage, stdout);
    return kExitOk;
  }
  if (args.positional.empty() || args.positional[0] == "-") return run_explain(std::cin, std::cout, std::cerr);
  std::ifstream f(args.positional[0], std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "tailor explain: cannot read '%s'\n", args.positional[0].c_str());
    return kExitIo;
  }
  return run_explain(f, std::cout, std::cerr);
}
