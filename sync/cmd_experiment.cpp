// `tailor experiment`: GrowthBook-compatible hashing and bucketing (core/bucketing.h) over
// NDJSON, one output line per input line, numbers printed as JavaScript prints them.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "args.h"
#include "cli_util.h"
#include "commands.h"
#include "json_parse.h"
#include "tailor/bucketing.h"

using nlohmann::json;
using namespace tailor::sync;

const char* const kExperimentUsage =
    "usage: tailor experiment < ops.ndjson\n"
    "\n"
    "GrowthBook-compatible experiment hashing and bucketing. Reads one JSON object per line on\n"
    "stdin and prints one JSON line per input line on stdout ({\"result\": ...} or {\"error\": ...}):\n"
    "\n"
    "  {\"op\":\"hash\",\"seed\":S,\"value\":V,\"version\":1|2}              -> number, null for other versions\n"
    "  {\"op\":\"bucket_ranges\",\"variations\":N,\"coverage\":C,\"weights\":[..]|null} -> [[start,end],...]\n"
    "  {\"op\":\"choose\",\"hash\":H,\"ranges\":[[s,e],...]}                 -> variation index, -1 for none\n"
    "  {\"op\":\"in_namespace\",\"user\":U,\"namespace\":[id,start,end]}      -> true or false\n"
    "\n"
    "Exit codes: 0 every line answered, 1 some line was an error (the others still answered),\n"
    "2 usage.\n";

namespace {

// Number::toString for a double (ECMAScript 6.1.6.1.20), via the shortest round-trip digits;
// non-finite numbers print as null, as JSON.stringify does.
std::string js_number(double x) {
  if (!std::isfinite(x)) return "null";
  if (x == 0) return "0";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(res.ptr - buf));
  std::string out;
  if (s.front() == '-') {
    out += '-';
    s.remove_prefix(1);
  }
  const size_t epos = s.find('e');
  std::string digits;
  for (char c : s.substr(0, epos))
    if (c != '.') digits += c;
  int exp = 0;
  std::string_view es = s.substr(epos + 1);
  if (es.front() == '+') es.remove_prefix(1);
  std::from_chars(es.data(), es.data() + es.size(), exp);
  const int k = static_cast<int>(digits.size());
  const int n = exp + 1;  // x = 0.d1d2...dk * 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += (n - 1 < 0) ? '-' : '+';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

bool get_string(const json& obj, const char* key, std::string& out, std::string& err) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    err = std::string("'") + key + "' must be a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool get_number(const json& obj, const char* key, double& out, std::string& err) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) {
    err = std::string("'") + key + "' must be a number";
    return false;
  }
  out = it->get<double>();
  return true;
}

bool get_ranges(const json& obj, std::vector<tailor::BucketRange>& out, std::string& err) {
  auto it = obj.find("ranges");
  if (it == obj.end() || !it->is_array()) {
    err = "'ranges' must be an array of [start, end] pairs";
    return false;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const json& r = (*it)[i];
    if (!r.is_array() || r.size() != 2 || !r[0].is_number() || !r[1].is_number()) {
      err = "'ranges[" + std::to_string(i) + "]' must be [start, end] with two numbers";
      return false;
    }
    out.push_back({r[0].get<double>(), r[1].get<double>()});
  }
  return true;
}

// Answers one parsed line: sets `result` (a JSON value as text) or `err`.
bool answer(const json& in, std::string& result, std::string& err) {
  if (!in.is_object()) {
    err = "each line must be a JSON object";
    return false;
  }
  std::string op;
  if (!get_string(in, "op", op, err)) return false;

  if (op == "hash") {
    std::string seed, value;
    double version = 0;
    if (!get_string(in, "seed", seed, err) || !get_string(in, "value", value, err) ||
        !get_number(in, "version", version, err))
      return false;
    const int v = version == 1 ? 1 : version == 2 ? 2 : 0;  // the SDK compares with ===
    const auto h = tailor::bucket_hash(seed, value, v);
    result = h ? js_number(*h) : "null";
    return true;
  }
  if (op == "bucket_ranges") {
    double n = 0;
    if (!get_number(in, "variations", n, err)) return false;
    if (n != std::floor(n) || n > 1e6) {
      err = "'variations' must be an integer up to 1000000";
      return false;
    }
    double coverage = 1;  // absent: 1, as in the SDK
    if (in.contains("coverage") && !get_number(in, "coverage", coverage, err)) return false;
    std::vector<double> weights;
    auto w = in.find("weights");
    if (w != in.end() && !w->is_null()) {
      if (!w->is_array()) {
        err = "'weights' must be an array of numbers or null";
        return false;
      }
      for (const json& x : *w) {
        if (!x.is_number()) {
          err = "'weights' must be an array of numbers or null";
          return false;
        }
        weights.push_back(x.get<double>());
      }
    }
    const int nv = n < 0 ? 0 : static_cast<int>(n);
    const auto ranges = tailor::bucket_ranges(nv, coverage, weights);
    result = "[";
    for (size_t i = 0; i < ranges.size(); ++i) {
      if (i) result += ',';
      result += '[' + js_number(ranges[i].start) + ',' + js_number(ranges[i].end) + ']';
    }
    result += ']';
    return true;
  }
  if (op == "choose") {
    double h = 0;
    std::vector<tailor::BucketRange> ranges;
    if (!get_number(in, "hash", h, err) || !get_ranges(in, ranges, err)) return false;
    result = std::to_string(tailor::choose_variation(h, ranges));
    return true;
  }
  if (op == "in_namespace") {
    std::string user;
    if (!get_string(in, "user", user, err)) return false;
    auto ns = in.find("namespace");
    if (ns == in.end() || !ns->is_array() || ns->size() != 3 || !(*ns)[0].is_string() || !(*ns)[1].is_number() ||
        !(*ns)[2].is_number()) {
      err = "'namespace' must be [id, start, end] (a string and two numbers)";
      return false;
    }
    const bool in_ns = tailor::in_namespace(user, (*ns)[0].get<std::string>(), (*ns)[1].get<double>(),
                                            (*ns)[2].get<double>());
    result = in_ns ? "true" : "false";
    return true;
  }
  err = "unknown op '" + op + "' (hash, bucket_ranges, choose, in_namespace)";
  return false;
}

}  // namespace

int run_experiment(std::istream& in, std::ostream& out) {
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
    else if (parse_json(line, doc, why)) ok = answer(doc, result, why);
    if (ok) {
      out << "{\"result\":" << result << "}\n";
    } else {
      any_error = true;
      out << "{\"error\":" << dump_json(nlohmann::ordered_json("line " + std::to_string(line_no) + ": " + why))
          << "}\n";
    }
    out.flush();
  }
  return any_error ? kExitInput : kExitOk;
}

int cmd_experiment(int argc, char** argv) {
  Args args;
  std::string err;
  if (!parse_args(argc, argv, {}, args, err)) return usage_error("experiment", err, kExperimentUsage);
  if (args.help) {
    std::fputs(kExperimentUsage, stdout);
    return kExitOk;
  }
  if (!args.positional.empty())
    return usage_error("experiment", "unexpected argument '" + args.positional[0] + "'", kExperimentUsage);
  std::ios::sync_with_stdio(false);
  return run_experiment(std::cin, std::cout);
}
