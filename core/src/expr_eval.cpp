// JsonLogic bytecode: operator table, validation and the evaluator (semantics of json-logic-js
// 2.0.5; see docs/targeting.md for the few documented differences).
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "expr_js.h"
#include "tailor/expr.h"
#include "tailor/json_writer.h"

namespace tailor::expr {
namespace {

using json = nlohmann::json;

constexpr OpInfo kOps[] = {
    {"var", Op::Var, 0, 2},          {"missing", Op::Missing, 0, kAnyArgs}, {"missing_some", Op::MissingSome, 2, 2},
    {"if", Op::If, 0, kAnyArgs},     {"==", Op::Eq, 2, 2},                  {"===", Op::StrictEq, 2, 2},
    {"!=", Op::Ne, 2, 2},            {"!==", Op::StrictNe, 2, 2},           {"!", Op::Not, 1, 1},
    {"!!", Op::NotNot, 1, 1},        {"or", Op::Or, 0, kAnyArgs},           {"and", Op::And, 0, kAnyArgs},
    {">", Op::Gt, 2, 2},             {">=", Op::Ge, 2, 2},                  {"<", Op::Lt, 2, 3},
    {"<=", Op::Le, 2, 3},            {"max", Op::Max, 0, kAnyArgs},         {"min", Op::Min, 0, kAnyArgs},
    {"+", Op::Add, 0, kAnyArgs},     {"-", Op::Sub, 1, 2},                  {"*", Op::Mul, 1, kAnyArgs},
    {"/", Op::Div, 2, 2},            {"%", Op::Mod, 2, 2},                  {"map", Op::Map, 2, 2},
    {"filter", Op::Filter, 2, 2},    {"reduce", Op::Reduce, 2, 3},          {"all", Op::All, 2, 2},
    {"none", Op::None, 2, 2},        {"some", Op::Some, 2, 2},              {"merge", Op::Merge, 0, kAnyArgs},
    {"in", Op::In, 2, 2},            {"cat", Op::Cat, 0, kAnyArgs},         {"substr", Op::Substr, 1, 3},
    {"log", Op::Log, 1, 1},
};
static_assert(std::size(kOps) == static_cast<size_t>(Op::kCount), "one table row per opcode, in opcode order");
constexpr OpInfo kTernary = {"?:", Op::If, 0, kAnyArgs};

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Bounds-checked reads; every read fails rather than step outside the program.
struct Reader {
  std::span<const uint8_t> p;
  bool u8(size_t& pos, uint8_t& v) const {
    if (pos >= p.size()) return false;
    v = p[pos++];
    return true;
  }
  bool varint(size_t& pos, uint32_t& v) const {
    v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      uint8_t b;
      if (!u8(pos, b)) return false;
      if (shift == 28 && (b & 0x70)) return false;  // beyond 32 bits
      v |= static_cast<uint32_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool f64(size_t& pos, double& v) const {
    if (p.size() - pos < 8 || pos > p.size()) return false;
    uint64_t bits = 0;
    for (int i = 7; i >= 0; --i) bits = (bits << 8) | p[pos + static_cast<size_t>(i)];
    std::memcpy(&v, &bits, sizeof v);
    pos += 8;
    return true;
  }
  // A length-prefixed byte run starting at pos.
  bool bytes(size_t& pos, std::string_view& out) const {
    uint32_t n;
    if (!varint(pos, n) || n > p.size() - pos) return false;
    out = std::string_view(reinterpret_cast<const char*>(p.data() + pos), n);
    pos += n;
    return true;
  }
  // Header of a container: count and body length; `end` = first byte after the body.
  bool container(size_t& pos, uint32_t& count, size_t& end) const {
    uint32_t body;
    if (!varint(pos, count) || !varint(pos, body) || body > p.size() - pos) return false;
    end = pos + body;
    return true;
  }
};

// ---------- validation ----------

class Validator {
 public:
  Validator(std::span<const uint8_t> p, const Limits& l) : r_{p}, lim_(l) {}
  Status run() {
    const auto& p = r_.p;
    if (p.size() > lim_.max_program_bytes)
      return bad("program is " + std::to_string(p.size()) + " bytes, over the limit of " +
                 std::to_string(lim_.max_program_bytes));
    if (p.size() < 4 || p[0] != kMagic0 || p[1] != kMagic1) return bad("not a JsonLogic program (bad header)");
    if (p[2] != kFormatVersion) return bad("program format version " + std::to_string(p[2]) + " is not supported (this engine reads 1)");
    size_t pos = 3;
    if (!node(pos, p.size(), 1, false)) return bad(why_ + " at byte " + std::to_string(pos));
    if (pos != p.size()) return bad("trailing bytes after the program");
    return Status::Ok();
  }

 private:
  static Status bad(const std::string& m) { return Status(Code::kSnapshotInvalid, "condition: " + m); }
  bool fail(const char* why) {
    why_ = why;
    return false;
  }
  bool node(size_t& pos, size_t limit, uint32_t depth, bool raw) {
    if (depth > lim_.max_depth) return fail("nested too deeply");
    uint8_t tag;
    if (pos >= limit || !r_.u8(pos, tag)) return fail("truncated");
    switch (static_cast<Tag>(tag)) {
      case Tag::Null: case Tag::False: case Tag::True: return true;
      case Tag::Number: {
        double d;
        if (!r_.f64(pos, d) || pos > limit) return fail("truncated number");
        return true;
      }
      case Tag::String: {
        std::string_view s;
        if (!r_.bytes(pos, s) || pos > limit) return fail("truncated string");
        return true;
      }
      case Tag::Array: case Tag::RawArray: case Tag::RawObject: case Tag::Op: {
        const Tag t = static_cast<Tag>(tag);
        if (t == Tag::Array && raw) return fail("evaluated array inside a literal");
        if (t == Tag::Op && raw) return fail("operator inside a literal");
        uint8_t opcode = 0;
        if (t == Tag::Op && (!r_.u8(pos, opcode) || opcode >= static_cast<uint8_t>(Op::kCount))) return fail("unknown opcode");
        uint32_t count;
        size_t end;
        if (!r_.container(pos, count, end) || end > limit) return fail("bad container length");
        if (t == Tag::Op) {
          const OpInfo& info = kOps[opcode];
          if (count < info.min_args || (info.max_args != kAnyArgs && count > info.max_args)) return fail("wrong argument count");
        }
        const bool raw_children = t == Tag::RawArray || t == Tag::RawObject;
        for (uint32_t i = 0; i < count; ++i) {
          if (t == Tag::RawObject) {
            std::string_view key;
            if (!r_.bytes(pos, key) || pos > end) return fail("truncated key");
          }
          if (!node(pos, end, depth + 1, raw_children)) return false;
        }
        if (pos != end) return fail("container length does not match its contents");
        return true;
      }
    }
    return fail("unknown tag");
  }

  Reader r_;
  const Limits& lim_;
  std::string why_;
};

// ---------- evaluation ----------

uint64_t cost_of(const json& v) {
  if (v.is_array() || v.is_object()) return 1 + v.size();
  if (v.is_string()) return 1 + v.get_ref<const std::string&>().size() / 64;
  return 1;
}

class Evaluator {
 public:
  Evaluator(std::span<const uint8_t> p, const Limits& l, uint64_t* request) : r_{p}, lim_(l), request_(request) {}

  Status status;

  bool node(size_t& pos, const json& data, json& out, uint32_t depth) {
    if (!charge(1)) return false;
    if (depth > lim_.max_depth) return malformed();
    uint8_t tag;
    if (!r_.u8(pos, tag)) return malformed();
    switch (static_cast<Tag>(tag)) {
      case Tag::Null: out = nullptr; return true;
      case Tag::False: out = false; return true;
      case Tag::True: out = true; return true;
      case Tag::Number: {
        double d;
        if (!r_.f64(pos, d)) return malformed();
        out = d;
        return true;
      }
      case Tag::String: {
        std::string_view s;
        if (!r_.bytes(pos, s)) return malformed();
        out = std::string(s);
        return true;
      }
      case Tag::Array: {
        uint32_t count;
        size_t end;
        if (!r_.container(pos, count, end)) return malformed();
        if (count > lim_.max_array) return too_big("array");
        out = json::array();
        for (uint32_t i = 0; i < count; ++i) {
          json v;
          if (!node(pos, data, v, depth + 1)) return false;
          out.push_back(std::move(v));
        }
        if (pos != end) return malformed();
        return true;
      }
      case Tag::RawArray: case Tag::RawObject:
        --pos;
        return raw(pos, out, depth);
      case Tag::Op: {
        uint8_t opcode;
        uint32_t argc;
        size_t end;
        if (!r_.u8(pos, opcode) || opcode >= static_cast<uint8_t>(Op::kCount) || !r_.container(pos, argc, end))
          return malformed();
        const OpInfo& info = kOps[opcode];
        if (argc < info.min_args || (info.max_args != kAnyArgs && argc > info.max_args)) return malformed();
        std::vector<size_t> args(argc);
        for (uint32_t i = 0; i < argc; ++i) {
          args[i] = pos;
          if (!skip(pos, end)) return malformed();
        }
        if (pos != end) return malformed();
        if (!op(info.op, args, data, out, depth + 1)) return false;
        if (js::is_undefined(out)) out = nullptr;
        return true;
      }
    }
    return malformed();
  }

 private:
  bool fail(Code code, std::string msg) {
    if (status.ok()) status = Status(code, std::move(msg));
    return false;
  }
  bool malformed() { return fail(Code::kSnapshotInvalid, "condition: malformed program"); }
  bool too_big(const char* what) {
    return fail(Code::kLimitExceeded, std::string("condition: ") + what + " over the size limit (" +
                                          std::to_string(lim_.max_array) + " elements, " +
                                          std::to_string(lim_.max_string) + " string bytes)");
  }
  bool charge(uint64_t n) {
    steps_ += n;
    if (steps_ > lim_.max_steps)
      return fail(Code::kLimitExceeded, "condition: step budget of " + std::to_string(lim_.max_steps) + " exceeded");
    if (request_) {
      if (*request_ < n) {
        *request_ = 0;
        return fail(Code::kLimitExceeded, "condition: the request's step budget is exhausted");
      }
      *request_ -= n;
    }
    return true;
  }
  bool type_error(const std::string& msg) { return fail(Code::kInvalidArgument, msg); }

  bool skip(size_t& pos, size_t limit) {
    uint8_t tag;
    if (pos >= limit || !r_.u8(pos, tag)) return false;
    switch (static_cast<Tag>(tag)) {
      case Tag::Null: case Tag::False: case Tag::True: return true;
      case Tag::Number:
        if (r_.p.size() - pos < 8) return false;
        pos += 8;
        return pos <= limit;
      case Tag::String: {
        std::string_view s;
        return r_.bytes(pos, s) && pos <= limit;
      }
      case Tag::Op: {
        uint8_t opcode;
        if (!r_.u8(pos, opcode)) return false;
        [[fallthrough]];
      }
      case Tag::Array: case Tag::RawArray: case Tag::RawObject: {
        uint32_t count;
        size_t end;
        if (!r_.container(pos, count, end) || end > limit) return false;
        pos = end;
        return true;
      }
    }
    return false;
  }

  bool raw(size_t& pos, json& out, uint32_t depth) {
    if (depth > lim_.max_depth) return malformed();
    uint8_t tag;
    if (!r_.u8(pos, tag)) return malformed();
    switch (static_cast<Tag>(tag)) {
      case Tag::Null: out = nullptr; return true;
      case Tag::False: out = false; return true;
      case Tag::True: out = true; return true;
      case Tag::Number: {
        double d;
        if (!r_.f64(pos, d)) return malformed();
        out = d;
        return true;
      }
      case Tag::String: {
        std::string_view s;
        if (!r_.bytes(pos, s)) return malformed();
        out = std::string(s);
        return true;
      }
      case Tag::RawArray: case Tag::RawObject: {
        uint32_t count;
        size_t end;
        if (!r_.container(pos, count, end)) return malformed();
        if (!charge(count)) return false;
        const bool obj = static_cast<Tag>(tag) == Tag::RawObject;
        out = obj ? json::object() : json::array();
        for (uint32_t i = 0; i < count; ++i) {
          std::string_view key;
          if (obj && !r_.bytes(pos, key)) return malformed();
          json v;
          if (!raw(pos, v, depth + 1)) return false;
          if (obj) out[std::string(key)] = std::move(v);
          else out.push_back(std::move(v));
        }
        if (pos != end) return malformed();
        return true;
      }
      default:
        return malformed();
    }
  }

  bool eval_at(size_t pos, const json& data, json& out, uint32_t depth) { return node(pos, data, out, depth); }

  // var: a path into `data` ("a.b.1"), with `not_found` when any step is missing.
  bool var(const json& data, const json& path, const json& not_found, json& out) {
    if (js::is_undefined(path) || path.is_null() || (path.is_string() && path.get_ref<const std::string&>().empty())) {
      out = data;
      return charge(cost_of(out));
    }
    const std::string keys = js::to_string(path);
    const json* cur = &data;
    json tmp;
    size_t start = 0;
    while (true) {
      size_t dot = keys.find('.', start);
      std::string_view key = std::string_view(keys).substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (js::is_nullish(*cur)) { out = not_found; return true; }
      const json* next = nullptr;
      json computed;
      bool have_computed = false;
      if (cur->is_object()) {
        auto it = cur->find(std::string(key));
        if (it != cur->end()) next = &*it;
      } else if (cur->is_array()) {
        if (js::is_array_index(key)) {
          size_t i = std::strtoul(std::string(key).c_str(), nullptr, 10);
          if (i < cur->size()) next = &(*cur)[i];
        } else if (key == "length") {
          computed = static_cast<double>(cur->size());
          have_computed = true;
        }
      } else if (cur->is_string()) {
        const std::string& s = cur->get_ref<const std::string&>();
        if (js::is_array_index(key)) {
          size_t i = std::strtoul(std::string(key).c_str(), nullptr, 10);
          if (i < js::utf16_length(s)) {
            computed = js::utf16_at(s, i);
            have_computed = true;
          }
        } else if (key == "length") {
          computed = static_cast<double>(js::utf16_length(s));
          have_computed = true;
        }
      }
      if (have_computed) {
        tmp = std::move(computed);
        next = &tmp;
      }
      if (!next) { out = not_found; return true; }
      cur = next;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    out = *cur;
    return charge(cost_of(out));
  }

  bool missing(const json& data, const json& keys_in, json& out) {
    out = json::array();
    for (const json& key : keys_in) {
      json v;
      // json-logic-js evaluates {"var": key}: an array key is var's argument list.
      if (key.is_array()) {
        json path = key.empty() ? js::undefined() : key[0];
        json nf = key.size() > 1 ? key[1] : json(nullptr);
        if (!var(data, path, nf, v)) return false;
      } else if (!var(data, key, json(nullptr), v)) {
        return false;
      }
      if (v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty())) out.push_back(key);
    }
    return true;
  }

  static json substr(const std::string& s, const json& start, const json& length) {
    const double size = static_cast<double>(js::utf16_length(s));
    double from = js::to_integer(start);
    if (from == -kInf) from = 0;
    else if (from < 0) from = std::max(size + from, 0.0);
    else from = std::min(from, size);
    double len = js::is_undefined(length) ? size : js::to_integer(length);
    len = std::min(std::max(len, 0.0), size);
    const double to = std::min(from + len, size);
    return js::utf16_slice(s, static_cast<size_t>(from), static_cast<size_t>(to));
  }

  bool check_size(const json& v) {
    if (v.is_array() && v.size() > lim_.max_array) return too_big("array");
    if (v.is_string() && v.get_ref<const std::string&>().size() > lim_.max_string) return too_big("string");
    return true;
  }

  bool op(Op op, const std::vector<size_t>& args, const json& data, json& out, uint32_t depth) {
    const size_t argc = args.size();
    switch (op) {
      case Op::If: {
        size_t i = 0;
        for (; i + 1 < argc; i += 2) {
          json c;
          if (!eval_at(args[i], data, c, depth)) return false;
          if (truthy(c)) return eval_at(args[i + 1], data, out, depth);
        }
        if (i + 1 == argc) return eval_at(args[i], data, out, depth);
        out = nullptr;
        return true;
      }
      case Op::And: case Op::Or: {
        out = js::undefined();
        for (size_t i = 0; i < argc; ++i) {
          if (!eval_at(args[i], data, out, depth)) return false;
          if (truthy(out) == (op == Op::Or)) return true;
        }
        return true;
      }
      case Op::Filter: case Op::Map: case Op::All: case Op::None: case Op::Some: case Op::Reduce:
        return scoped(op, args, data, out, depth);
      default:
        break;
    }
    std::vector<json> a(argc);
    for (size_t i = 0; i < argc; ++i)
      if (!eval_at(args[i], data, a[i], depth)) return false;
    auto arg = [&](size_t i) { return i < argc ? a[i] : js::undefined(); };
    switch (op) {
      case Op::Var: return var(data, arg(0), argc > 1 ? a[1] : json(nullptr), out);
      case Op::Missing:
        return missing(data, argc > 0 && a[0].is_array() ? a[0] : json(a), out);
      case Op::MissingSome: {
        if (js::is_nullish(a[1])) return type_error("missing_some: cannot read the length of null");
        json vals = a[1].is_array() ? a[1] : json::array({a[1]});
        json are_missing;
        if (!missing(data, !vals.empty() && vals[0].is_array() ? vals[0] : vals, are_missing)) return false;
        double have = a[1].is_array() ? static_cast<double>(a[1].size())
                      : a[1].is_string() ? static_cast<double>(js::utf16_length(a[1].get_ref<const std::string&>()))
                                         : kNaN;
        json diff = have - static_cast<double>(are_missing.size());
        out = js::le(a[0], diff) ? json::array() : std::move(are_missing);  // diff >= need
        return true;
      }
      case Op::Eq: out = js::loose_equal(a[0], a[1]); return true;
      case Op::Ne: out = !js::loose_equal(a[0], a[1]); return true;
      case Op::StrictEq: out = js::strict_equal(a[0], a[1]); return true;
      case Op::StrictNe: out = !js::strict_equal(a[0], a[1]); return true;
      case Op::Not: out = !truthy(a[0]); return true;
      case Op::NotNot: out = truthy(a[0]); return true;
      case Op::Gt: out = js::lt(a[1], a[0]); return true;
      case Op::Ge: out = js::le(a[1], a[0]); return true;
      case Op::Lt: out = js::lt(a[0], a[1]) && (argc < 3 || js::lt(a[1], a[2])); return true;
      case Op::Le: out = js::le(a[0], a[1]) && (argc < 3 || js::le(a[1], a[2])); return true;
      case Op::Max: case Op::Min: {
        double r = op == Op::Max ? -kInf : kInf;
        for (const json& v : a) {
          double x = js::to_number(v);
          if (x != x) { r = kNaN; break; }
          if (op == Op::Max ? x > r : x < r) r = x;
        }
        out = r;
        return true;
      }
      case Op::Add: {
        double s = 0;
        for (const json& v : a) s = s + js::parse_float(v);
        out = s;
        return true;
      }
      case Op::Mul: {
        if (argc == 1) { out = std::move(a[0]); return true; }  // reduce without a start value
        double p = js::parse_float(a[0]);
        for (size_t i = 1; i < argc; ++i) p = p * js::parse_float(a[i]);
        out = p;
        return true;
      }
      case Op::Sub:
        out = argc == 1 ? -js::to_number(a[0]) : js::to_number(a[0]) - js::to_number(a[1]);
        return true;
      case Op::Div: out = js::to_number(a[0]) / js::to_number(a[1]); return true;
      case Op::Mod: out = std::fmod(js::to_number(a[0]), js::to_number(a[1])); return true;
      case Op::Merge: {
        out = json::array();
        for (json& v : a) {
          if (v.is_array()) {
            if (!charge(v.size())) return false;
            for (json& e : v) out.push_back(std::move(e));
          } else {
            out.push_back(std::move(v));
          }
        }
        return check_size(out);
      }
      case Op::In: {
        const json& hay = a[1];
        const bool js_falsy = js::is_nullish(hay) || (hay.is_boolean() && !hay.get<bool>()) ||
                              (hay.is_number() && !truthy(hay)) || (hay.is_string() && hay.get_ref<const std::string&>().empty());
        if (js_falsy) {
          out = false;  // `!b` in json-logic-js
        } else if (hay.is_string()) {
          out = hay.get_ref<const std::string&>().find(js::to_string(a[0])) != std::string::npos;
        } else if (hay.is_array()) {
          if (!charge(hay.size())) return false;
          bool found = false;
          for (const json& e : hay)
            if (js::strict_equal(e, a[0])) { found = true; break; }
          out = found;
        } else {
          out = false;  // null, numbers, booleans and objects have no indexOf
        }
        return true;
      }
      case Op::Cat: {
        std::string s;
        for (const json& v : a) {
          if (!js::is_nullish(v)) js::append_string(v, s);
          if (s.size() > lim_.max_string) return too_big("string");
        }
        if (!charge(s.size() / 64)) return false;
        out = std::move(s);
        return true;
      }
      case Op::Substr: {
        const std::string s = js::to_string(a[0]);
        const json start = arg(1), end = arg(2);
        if (!js::is_undefined(end) && js::lt(end, json(0))) {
          // json-logic-js: a negative length stops that many characters before the end, as
          // temp.substr(0, temp.length + end) with JavaScript's `+`.
          const std::string temp = substr(s, start, js::undefined()).get<std::string>();
          const double len = static_cast<double>(js::utf16_length(temp));
          json pend = end.is_array() || end.is_object() ? json(js::to_string(end)) : end;
          json length = pend.is_string() ? json(number_to_string(len) + pend.get<std::string>())
                                          : json(len + js::to_number(pend));
          out = substr(temp, json(0), length);
        } else {
          out = substr(s, start, end);
        }
        return charge(cost_of(out));
      }
      case Op::Log: out = std::move(a[0]); return true;
      default:
        return malformed();
    }
  }

  // filter / map / all / none / some / reduce: the second argument runs once per element, with
  // the element (reduce: {"current", "accumulator"}) as its data.
  bool scoped(Op op, const std::vector<size_t>& args, const json& data, json& out, uint32_t depth) {
    json items;
    if (!eval_at(args[0], data, items, depth)) return false;
    if (op == Op::Reduce) {
      json acc = nullptr;
      if (args.size() > 2 && !eval_at(args[2], data, acc, depth)) return false;
      if (!items.is_array()) { out = std::move(acc); return true; }
      for (json& e : items) {
        json scope = json::object();
        scope["current"] = std::move(e);
        scope["accumulator"] = std::move(acc);
        if (!charge(2) || !eval_at(args[1], scope, acc, depth)) return false;
        if (js::is_undefined(acc)) acc = nullptr;
      }
      out = std::move(acc);
      return true;
    }
    if (op == Op::All) {
      if (!items.is_array() || items.empty()) { out = false; return true; }
      for (const json& e : items) {
        json r;
        if (!eval_at(args[1], e, r, depth)) return false;
        if (!truthy(r)) { out = false; return true; }
      }
      out = true;
      return true;
    }
    if (!items.is_array()) {
      if (op == Op::None) out = true;
      else if (op == Op::Some) out = false;
      else out = json::array();
      return true;
    }
    json kept = json::array();
    for (json& e : items) {
      json r;
      if (!eval_at(args[1], e, r, depth)) return false;
      if (op == Op::Map) kept.push_back(js::is_undefined(r) ? json(nullptr) : std::move(r));
      else if (truthy(r)) kept.push_back(std::move(e));
    }
    if (op == Op::None) out = kept.empty();
    else if (op == Op::Some) out = !kept.empty();
    else out = std::move(kept);
    return true;
  }

  Reader r_;
  const Limits& lim_;
  uint64_t* request_;
  uint64_t steps_ = 0;
};

void write_value(const json& v, std::string& out, int depth) {
  switch (v.type()) {
    case json::value_t::null: case json::value_t::discarded: out += "null"; return;
    case json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; return;
    case json::value_t::number_integer: case json::value_t::number_unsigned: case json::value_t::number_float: {
      double d = js::num(v);
      out += std::isfinite(d) ? number_to_string(d) : "null";
      return;
    }
    case json::value_t::string:
      out += '"';
      json_escape(out, v.get_ref<const std::string&>());
      out += '"';
      return;
    case json::value_t::array: {
      if (depth <= 0) { out += "null"; return; }
      out += '[';
      bool first = true;
      for (const json& e : v) {
        if (!first) out += ',';
        first = false;
        write_value(e, out, depth - 1);
      }
      out += ']';
      return;
    }
    case json::value_t::object: {
      if (depth <= 0) { out += "null"; return; }
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (js::is_undefined(it.value())) continue;
        if (!first) out += ',';
        first = false;
        out += '"';
        json_escape(out, it.key());
        out += "\":";
        write_value(it.value(), out, depth - 1);
      }
      out += '}';
      return;
    }
    default: out += "null"; return;
  }
}

}  // namespace

const OpInfo* find_op(std::string_view name) {
  if (name == kTernary.name) return &kTernary;
  for (const OpInfo& o : kOps)
    if (name == o.name) return &o;
  return nullptr;
}

const OpInfo& op_info(Op op) { return kOps[static_cast<size_t>(op) < std::size(kOps) ? static_cast<size_t>(op) : 0]; }

Status validate(std::span<const uint8_t> program, const Limits& limits) { return Validator(program, limits).run(); }

Result<nlohmann::json> evaluate(std::span<const uint8_t> program, const nlohmann::json& data, const Limits& limits,
                                uint64_t* request_steps) {
  if (Status st = validate(program, limits); !st.ok()) return st;
  Evaluator ev(program, limits, request_steps);
  size_t pos = 3;
  json out;
  if (!ev.node(pos, data, out, 1)) return ev.status;
  return out;
}

bool truthy(const nlohmann::json& v) {
  switch (v.type()) {
    case json::value_t::null: case json::value_t::discarded: return false;
    case json::value_t::boolean: return v.get<bool>();
    case json::value_t::number_integer: case json::value_t::number_unsigned: case json::value_t::number_float: {
      double d = js::num(v);
      return d == d && d != 0;
    }
    case json::value_t::string: return !v.get_ref<const std::string&>().empty();
    case json::value_t::array: return !v.empty();
    default: return true;
  }
}

void write_json(const nlohmann::json& v, std::string& out) { write_value(v, out, 64); }

}  // namespace tailor::expr
