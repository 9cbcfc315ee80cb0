// expr: JsonLogic conditions compiled to compact bytecode (by `tailor build`) and evaluated at the
// edge with the semantics of json-logic-js 2.0.5 and a step budget (docs/targeting.md).
//
// Program format, version 1 (little-endian, varint = unsigned LEB128 of at most 5 bytes):
//   program := 'T' 'J' 0x01 node            (no trailing bytes)
//   node    := Null | False | True | Number f64 | String varint(len) bytes
//            | Array varint(count) varint(body bytes) node*        (elements are evaluated)
//            | Op u8(opcode) varint(argc) varint(body bytes) node*
//            | RawArray varint(count) varint(body bytes) raw*       (a literal, never evaluated)
//            | RawObject varint(count) varint(body bytes) (varint(len) key raw)*
//   raw     := Null | False | True | Number | String | RawArray | RawObject
// Body lengths let the evaluator skip the branches it does not take in O(1).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tailor/status.h"

namespace tailor::expr {

constexpr uint8_t kMagic0 = 'T';
constexpr uint8_t kMagic1 = 'J';
constexpr uint8_t kFormatVersion = 1;

enum class Tag : uint8_t { Null = 0, False = 1, True = 2, Number = 3, String = 4, Array = 5, Op = 6, RawArray = 7, RawObject = 8 };

// Operators. Values are stored in programs: append only, never renumber.
enum class Op : uint8_t {
  Var = 0, Missing, MissingSome, If, Eq, StrictEq, Ne, StrictNe, Not, NotNot, Or, And, Gt, Ge, Lt, Le,
  Max, Min, Add, Sub, Mul, Div, Mod, Map, Filter, Reduce, All, None, Some, Merge, In, Cat, Substr, Log,
  kCount
};

constexpr uint32_t kAnyArgs = 0xFFFFFFFFu;

struct OpInfo {
  const char* name;  // JsonLogic spelling ("missing_some"); `?:` is another name of `if`
  Op op;
  uint32_t min_args, max_args;  // max kAnyArgs: no upper bound
};

// The operator called `name` (e.g. "?:" -> If), or null when JsonLogic has no such operator.
const OpInfo* find_op(std::string_view name);
// Canonical info of `op` (op < kCount).
const OpInfo& op_info(Op op);

struct Limits {
  uint32_t max_program_bytes = 64 * 1024;
  uint32_t max_depth = 64;          // node nesting (program) and value nesting when converting
  uint64_t max_steps = 10'000;      // per evaluation: one per node evaluated + per element copied
  uint32_t max_array = 10'000;      // elements of any array an evaluation builds
  uint32_t max_string = 64 * 1024;  // bytes of any string an evaluation builds
};

// Checks that `program` is a well-formed version-1 program within `limits` (tags, lengths,
// opcodes, argument counts, nesting). Snapshot::open runs it on every stored condition.
Status validate(std::span<const uint8_t> program, const Limits& limits = {});

// Evaluates `program` against `data`. Errors (Code::kInvalidArgument for a JsonLogic type error
// such as `all` over null, Code::kLimitExceeded for the step budget or value sizes,
// Code::kSnapshotInvalid for malformed bytes) carry a message. `request_steps`, when given, is a
// second budget shared by several evaluations (per request): it is charged and may end them too.
Result<nlohmann::json> evaluate(std::span<const uint8_t> program, const nlohmann::json& data,
                                const Limits& limits = {}, uint64_t* request_steps = nullptr);

// JsonLogic truthiness: false, null, 0, NaN, "" and [] are false; everything else is true.
bool truthy(const nlohmann::json& v);

// Appends `v` as JSON text the way JSON.stringify prints it (1 not 1.0, shortest round-trip
// digits, NaN and infinities as null).
void write_json(const nlohmann::json& v, std::string& out);

// A number as JavaScript's Number#toString prints it ("1", "0.1", "1e+21", "NaN").
std::string number_to_string(double v);

}  // namespace tailor::expr
