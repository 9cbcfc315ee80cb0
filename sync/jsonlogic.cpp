#include "jsonlogic.h"

#include <cstring>

namespace tailor::sync {
namespace {

using nlohmann::json;
using expr::Tag;

class Compiler {
 public:
  Compiler(std::vector<uint8_t>& out, const expr::Limits& limits) : out_(out), limits_(limits) {}

  std::string where, why;

  bool node(const json& v, const std::string& path, uint32_t depth) {
    if (depth > limits_.max_depth) return fail(path, "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    if (v.is_array()) {
      out_.push_back(static_cast<uint8_t>(Tag::Array));
      return container(v.size(), [&] {
        for (size_t i = 0; i < v.size(); ++i)
          if (!node(v[i], path + "[" + std::to_string(i) + "]", depth + 1)) return false;
        return true;
      });
    }
    if (v.is_object() && v.size() == 1) {
      const std::string& name = v.begin().key();
      const expr::OpInfo* info = expr::find_op(name);
      if (!info) return fail(path, "unknown operator '" + name + "'");
      // A single non-array argument is shorthand: {"var": "a"} is {"var": ["a"]}.
      const json& raw = v.begin().value();
      json args = raw.is_array() ? raw : json::array({raw});
      const size_t n = args.size();
      if (n < info->min_args || (info->max_args != expr::kAnyArgs && n > info->max_args))
        return fail(path, "operator '" + name + "' takes " + arity(*info) + ", got " + std::to_string(n));
      out_.push_back(static_cast<uint8_t>(Tag::Op));
      out_.push_back(static_cast<uint8_t>(info->op));
      const std::string base = path.empty() ? name : path + "." + name;
      return container(n, [&] {
        for (size_t i = 0; i < n; ++i)
          if (!node(args[i], raw.is_array() ? base + "[" + std::to_string(i) + "]" : base, depth + 1)) return false;
        return true;
      });
    }
    return literal(v, path, depth);
  }

 private:
  static std::string arity(const expr::OpInfo& o) {
    auto args = [](uint32_t k) { return std::to_string(k) + (k == 1 ? " argument" : " arguments"); };
    if (o.max_args == expr::kAnyArgs) return "at least " + args(o.min_args);
    if (o.min_args == o.max_args) return args(o.min_args);
    return std::to_string(o.min_args) + " to " + args(o.max_args);
  }

  bool fail(const std::string& path, std::string msg) {
    where = path;
    why = std::move(msg);
    return false;
  }

  void varint(uint32_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<uint8_t>(v));
  }

  void text(const std::string& s) {
    varint(static_cast<uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }

  // Writes count and body length around the bytes `body` appends (the length is patched in once
  // known, as a fixed 5-byte varint so nothing has to move).
  template <class F>
  bool container(size_t count, F body) {
    varint(static_cast<uint32_t>(count));
    const size_t at = out_.size();
    for (int i = 0; i < 5; ++i) out_.push_back(0);
    if (!body()) return false;
    uint64_t len = out_.size() - at - 5;
    if (len > limits_.max_program_bytes) return fail("", "condition is larger than " + std::to_string(limits_.max_program_bytes) + " bytes");
    for (int i = 0; i < 5; ++i) {
      uint8_t b = static_cast<uint8_t>(len & 0x7F);
      len >>= 7;
      out_[at + static_cast<size_t>(i)] = static_cast<uint8_t>(i < 4 ? b | 0x80 : b);
    }
    return true;
  }

  bool literal(const json& v, const std::string& path, uint32_t depth) {
    if (depth > limits_.max_depth) return fail(path, "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    switch (v.type()) {
      case json::value_t::null: out_.push_back(static_cast<uint8_t>(Tag::Null)); return true;
      case json::value_t::boolean:
        out_.push_back(static_cast<uint8_t>(v.get<bool>() ? Tag::True : Tag::False));
        return true;
      case json::value_t::number_integer: case json::value_t::number_unsigned: case json::value_t::number_float: {
        double d = v.get<double>();
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        out_.push_back(static_cast<uint8_t>(Tag::Number));
        for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(bits >> (8 * i)));
        return true;
      }
      case json::value_t::string:
        out_.push_back(static_cast<uint8_t>(Tag::String));
        text(v.get_ref<const std::string&>());
        return true;
      case json::value_t::array:
        out_.push_back(static_cast<uint8_t>(Tag::RawArray));
        return container(v.size(), [&] {
          for (size_t i = 0; i < v.size(); ++i)
            if (!literal(v[i], path + "[" + std::to_string(i) + "]", depth + 1)) return false;
          return true;
        });
      case json::value_t::object:
        // Not a rule (zero or several keys): JsonLogic passes it through unevaluated.
        out_.push_back(static_cast<uint8_t>(Tag::RawObject));
        return container(v.size(), [&] {
          for (auto it = v.begin(); it != v.end(); ++it) {
            text(it.key());
            if (!literal(it.value(), path + "." + it.key(), depth + 1)) return false;
          }
          return true;
        });
      default:
        return fail(path, "not a JSON value");
    }
  }

  std::vector<uint8_t>& out_;
  const expr::Limits& limits_;
};

}  // namespace

bool compile_jsonlogic(const json& rule, std::vector<uint8_t>& out, std::string& where, std::string& why,
                       const expr::Limits& limits) {
  out = {expr::kMagic0, expr::kMagic1, expr::kFormatVersion};
  Compiler c(out, limits);
  if (!c.node(rule, "", 1)) {
    where = c.where;
    why = c.why;
    out.clear();
    return false;
  }
  if (out.size() > limits.max_program_bytes) {
    where.clear();
    why = "condition is " + std::to_string(out.size()) + " bytes compiled, over the limit of " +
          std::to_string(limits.max_program_bytes);
    out.clear();
    return false;
  }
  if (Status st = expr::validate(out, limits); !st.ok()) {  // the engine's own check, at build time
    where.clear();
    why = st.message();
    out.clear();
    return false;
  }
  return true;
}

}  // namespace tailor::sync
