// JsonLogic: the build-time compiler (sync/jsonlogic) and the core evaluator (tailor/expr.h).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jsonlogic.h"
#include "tailor/expr.h"

using nlohmann::json;
using namespace tailor;

namespace {

std::vector<uint8_t> compile(const json& rule) {
  std::vector<uint8_t> out;
  std::string where, why;
  bool ok = sync::compile_jsonlogic(rule, out, where, why);
  INFO(rule.dump() << " -> " << where << ": " << why);
  REQUIRE(ok);
  return out;
}

// The result as JSON text (JSON.stringify style), or "error: <message>".
std::string run(const std::string& rule, const std::string& data = "null", expr::Limits limits = {}) {
  auto program = compile(json::parse(rule));
  auto r = expr::evaluate(program, json::parse(data), limits);
  if (!r.ok()) return "error: " + r.status().message();
  std::string out;
  expr::write_json(r.value(), out);
  return out;
}

std::string compile_error(const std::string& rule) {
  std::vector<uint8_t> out;
  std::string where, why;
  if (sync::compile_jsonlogic(json::parse(rule), out, where, why)) return "compiled";
  return where.empty() ? why : where + ": " + why;
}

}  // namespace

TEST_CASE("jsonlogic: literals pass through, arrays are evaluated, multi-key objects are literals") {
  CHECK(run("true") == "true");
  CHECK(run("null") == "null");
  CHECK(run("\"x\"") == "\"x\"");
  CHECK(run("[1,{\"var\":\"a\"}]", R"({"a":"b"})") == "[1,\"b\"]");
  CHECK(run(R"({"a":{"var":"x"},"b":2})") == R"({"a":{"var":"x"},"b":2})");
  CHECK(run("{}") == "{}");
}

TEST_CASE("jsonlogic: var with dot paths, array indices, defaults and the whole data") {
  const std::string d = R"({"a":{"b":[10,{"c":"deep"}]},"n":null,"s":"héllo"})";
  CHECK(run(R"({"var":"a.b.1.c"})", d) == "\"deep\"");
  CHECK(run(R"({"var":"a.b.0"})", d) == "10");
  CHECK(run(R"({"var":["a.x","dflt"]})", d) == "\"dflt\"");
  CHECK(run(R"({"var":["n","dflt"]})", d) == "null");  // present null is not missing
  CHECK(run(R"({"var":"n.x"})", d) == "null");
  CHECK(run(R"({"var":"a.b.length"})", d) == "2");
  CHECK(run(R"({"var":"s.length"})", d) == "5");
  CHECK(run(R"({"var":"s.1"})", d) == "\"é\"");
  CHECK(run(R"({"var":""})", "7") == "7");
  CHECK(run(R"({"var":[]})", "[1]") == "[1]");
  CHECK(run(R"({"var":1})", R"(["a","b"])") == "\"b\"");
  CHECK(run(R"({"var":"01"})", R"(["a","b"])") == "null");
}

TEST_CASE("jsonlogic: missing and missing_some") {
  CHECK(run(R"({"missing":["a","b","c"]})", R"({"a":1,"b":""})") == R"(["b","c"])");
  CHECK(run(R"({"missing":{"merge":["a",["b"]]}})", R"({"b":0})") == R"(["a"])");
  CHECK(run(R"({"missing_some":[1,["a","b"]]})", R"({"b":1})") == "[]");
  CHECK(run(R"({"missing_some":[2,["a","b","c"]]})", R"({"b":1})") == R"(["a","c"])");
  CHECK(run(R"({"missing_some":[1,null]})").rfind("error: missing_some", 0) == 0);
}

TEST_CASE("jsonlogic: truthiness, !, !!, and/or return operands, if chains and ?:") {
  CHECK(expr::truthy(json::array()) == false);
  CHECK(expr::truthy(json::array({0})) == true);
  CHECK(expr::truthy(json("0")) == true);
  CHECK(expr::truthy(json("")) == false);
  CHECK(expr::truthy(json(std::nan(""))) == false);
  CHECK(expr::truthy(json::object()) == true);
  CHECK(run(R"({"!":[[]]})") == "true");
  CHECK(run(R"({"!!":["0"]})") == "true");
  CHECK(run(R"({"and":[1,"x",[0]]})") == "[0]");
  CHECK(run(R"({"and":[1,"",2]})") == "\"\"");
  CHECK(run(R"({"or":[0,[],"y"]})") == "\"y\"");
  CHECK(run(R"({"or":[0,""]})") == "\"\"");
  CHECK(run(R"({"and":[]})") == "null");
  CHECK(run(R"({"if":[false,1,0,2,3]})") == "3");
  CHECK(run(R"({"if":[false,1,"t",2,3]})") == "2");
  CHECK(run(R"({"if":[false,1]})") == "null");
  CHECK(run(R"({"?:":[[],1,2]})") == "2");
}

TEST_CASE("jsonlogic: loose and strict equality follow JavaScript") {
  CHECK(run(R"({"==":[1,"1"]})") == "true");
  CHECK(run(R"({"==":[0,""]})") == "true");
  CHECK(run(R"({"==":[null,0]})") == "false");
  CHECK(run(R"({"==":[null,null]})") == "true");
  CHECK(run(R"({"==":[true,"1"]})") == "true");
  CHECK(run(R"({"==":[[1,2],"1,2"]})") == "true");
  CHECK(run(R"({"==":[[],false]})") == "true");
  CHECK(run(R"({"==":["0x10",16]})") == "true");
  CHECK(run(R"({"==":[[],[]]})") == "false");
  CHECK(run(R"({"===":[1,"1"]})") == "false");
  CHECK(run(R"({"===":[1,1.0]})") == "true");
  CHECK(run(R"({"!=":[1,"1"]})") == "false");
  CHECK(run(R"({"!==":[1,"1"]})") == "true");
}

TEST_CASE("jsonlogic: comparisons, including between with three arguments") {
  CHECK(run(R"({">":["10","9"]})") == "false");  // two strings compare as strings
  CHECK(run(R"({">":["10",9]})") == "true");
  CHECK(run(R"({">=":[null,0]})") == "true");
  CHECK(run(R"({"<":["a",1]})") == "false");
  CHECK(run(R"({"<":[1,5,10]})") == "true");
  CHECK(run(R"({"<":[1,10,10]})") == "false");
  CHECK(run(R"({"<=":[1,10,10]})") == "true");
  CHECK(run(R"({"<=":[{"/":[0,0]},1]})") == "false");
  CHECK(run(R"({"<":["Z","a"]})") == "true");
}

TEST_CASE("jsonlogic: arithmetic with JavaScript coercions and number printing") {
  CHECK(run(R"({"+":[]})") == "0");
  CHECK(run(R"({"+":"3.5"})") == "3.5");
  CHECK(run(R"({"+":["1.5abc",1]})") == "2.5");  // parseFloat
  CHECK(run(R"({"+":[true,1]})") == "null");      // NaN prints as null
  CHECK(run(R"({"+":[0.1,0.2]})") == "0.30000000000000004");
  CHECK(run(R"({"*":["2"]})") == "\"2\"");       // one argument comes back unchanged
  CHECK(run(R"({"*":["2","3"]})") == "6");
  CHECK(run(R"({"-":["5"]})") == "-5");
  CHECK(run(R"({"-":[true,"2"]})") == "-1");
  CHECK(run(R"({"/":[1,0]})") == "null");
  CHECK(run(R"({"/":[1,4]})") == "0.25");
  CHECK(run(R"({"%":[-7,3]})") == "-1");
  CHECK(run(R"({"%":[7.5,2]})") == "1.5");
  CHECK(run(R"({"min":[3,"1",2]})") == "1");
  CHECK(run(R"({"max":[]})") == "null");  // -Infinity
  CHECK(run(R"({"max":[1,"x"]})") == "null");
  CHECK(expr::number_to_string(1e21) == "1e+21");
  CHECK(expr::number_to_string(123456789012345680000.0) == "123456789012345680000");
  CHECK(expr::number_to_string(1e-7) == "1e-7");
  CHECK(expr::number_to_string(0.000001) == "0.000001");
  CHECK(expr::number_to_string(-0.0) == "0");
  CHECK(expr::number_to_string(std::nan("")) == "NaN");
  CHECK(expr::number_to_string(-std::numeric_limits<double>::infinity()) == "-Infinity");
  CHECK(expr::number_to_string(5e-324) == "5e-324");
}

TEST_CASE("jsonlogic: in, cat, substr, merge, log") {
  CHECK(run(R"({"in":["b",["a","b"]]})") == "true");
  CHECK(run(R"({"in":[1,["1"]]})") == "false");  // strict inside arrays
  CHECK(run(R"({"in":[1,"a1"]})") == "true");    // String(1) inside strings
  CHECK(run(R"({"in":["",""]})") == "false");
  CHECK(run(R"({"in":["x",null]})") == "false");
  CHECK(run(R"({"cat":["a",1,null,true,[1,[2]],0.5]})") == "\"a1true1,20.5\"");
  CHECK(run(R"({"substr":["jsonlogic",4]})") == "\"logic\"");
  CHECK(run(R"({"substr":["jsonlogic",-5]})") == "\"logic\"");
  CHECK(run(R"({"substr":["jsonlogic",1,3]})") == "\"son\"");
  CHECK(run(R"({"substr":["jsonlogic",4,-2]})") == "\"log\"");
  CHECK(run(R"({"substr":["a😀b",1,2]})") == "\"😀\"");  // UTF-16 code units, like JavaScript
  CHECK(run(R"({"merge":[1,[2,[3]],[]]})") == "[1,2,[3]]");
  CHECK(run(R"({"log":[{"+":[1,1]}]})") == "2");
}

TEST_CASE("jsonlogic: map, filter, reduce, all, none, some scope var to the element") {
  const std::string d = R"({"xs":[1,2,3],"k":10})";
  CHECK(run(R"({"map":[{"var":"xs"},{"*":[{"var":""},2]}]})", d) == "[2,4,6]");
  CHECK(run(R"({"map":[{"var":"xs"},{"var":"k"}]})", d) == "[null,null,null]");  // no outer scope
  CHECK(run(R"({"filter":[{"var":"xs"},{"%":[{"var":""},2]}]})", d) == "[1,3]");
  CHECK(run(R"({"reduce":[{"var":"xs"},{"+":[{"var":"current"},{"var":"accumulator"}]},{"var":"k"}]})", d) == "16");
  CHECK(run(R"({"reduce":[{"var":"nope"},1,"init"]})", d) == "\"init\"");
  CHECK(run(R"({"all":[{"var":"xs"},{">":[{"var":""},0]}]})", d) == "true");
  CHECK(run(R"({"all":[[],true]})") == "false");
  CHECK(run(R"({"none":[{"var":"xs"},{">":[{"var":""},2]}]})", d) == "false");
  CHECK(run(R"({"some":[{"var":"xs"},{">":[{"var":""},2]}]})", d) == "true");
  CHECK(run(R"({"some":[null,true]})") == "false");
  CHECK(run(R"({"map":[5,1]})") == "[]");
}

TEST_CASE("jsonlogic: bad rules fail to compile with their location") {
  CHECK(compile_error(R"({"foo":1})") == "unknown operator 'foo'");
  CHECK(compile_error(R"({"and":[true,{"or":[{"bar":[]}]}]})") == "and[1].or[0]: unknown operator 'bar'");
  CHECK(compile_error(R"({"if":[{"var":"x"},{"nope":1},2]})") == "if[1]: unknown operator 'nope'");
  CHECK(compile_error(R"({"!":{"baz":1}})") == "!: unknown operator 'baz'");
  CHECK(compile_error(R"({"==":[1]})") == "operator '==' takes 2 arguments, got 1");
  CHECK(compile_error(R"({"var":[1,2,3]})") == "operator 'var' takes 0 to 2 arguments, got 3");
  CHECK(compile_error(R"({"*":[]})") == "operator '*' takes at least 1 argument, got 0");
  CHECK(compile_error(R"({"method":["a","toUpperCase"]})") == "unknown operator 'method'");
  std::string deep = "1";
  for (int i = 0; i < 80; ++i) deep = R"({"!!":[)" + deep + "]}";
  CHECK(compile_error(deep).find("nested deeper than 64") != std::string::npos);
}

TEST_CASE("jsonlogic: the step budget per evaluation and per request") {
  json xs = json::array();
  for (int i = 0; i < 500; ++i) xs.push_back(i);
  auto program = compile(json::parse(R"({"map":[{"var":"xs"},{"map":[{"var":""},1]}]})"));
  json data = {{"xs", xs}};
  expr::Limits small;
  small.max_steps = 200;
  auto r = expr::evaluate(program, data, small);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::kLimitExceeded);
  CHECK(r.status().message().find("step budget of 200 exceeded") != std::string::npos);
  CHECK(expr::evaluate(program, data).ok());  // the default budget is enough

  auto one = compile(json::parse(R"({"+":[1,2]})"));
  uint64_t request = 7;  // three nodes per evaluation: two succeed, the third runs out
  CHECK(expr::evaluate(one, json(), {}, &request).ok());
  CHECK(expr::evaluate(one, json(), {}, &request).ok());
  auto third = expr::evaluate(one, json(), {}, &request);
  REQUIRE_FALSE(third.ok());
  CHECK(third.status().message().find("request's step budget") != std::string::npos);
  CHECK(request == 0);
}

TEST_CASE("jsonlogic: value size limits stop exponential growth") {
  // Doubling a string 30 times would need a gigabyte.
  std::string rule = R"({"reduce":[[)";
  for (int i = 0; i < 30; ++i) rule += (i ? "," : "") + std::to_string(i);
  rule += R"(],{"cat":[{"var":"accumulator"},{"var":"accumulator"}]},"ab"]})";
  auto out = run(rule);
  CHECK(out.rfind("error: ", 0) == 0);
  CHECK(out.find("size limit") != std::string::npos);
}

TEST_CASE("jsonlogic: malformed programs are rejected, never crash") {
  auto good = compile(json::parse(
      R"({"if":[{"and":[{"in":[{"var":"a"},["x","y"]]},{"<":[1,{"var":"n"},9]}]},{"cat":["a",{"substr":["hello",-3]}]},{"merge":[[1],{"k":[2],"j":null}]}]})"));
  json data = json::parse(R"({"a":"x","n":3})");
  REQUIRE(expr::evaluate(good, data).ok());
  // Every truncation.
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_FALSE(expr::validate(cut).ok());
    CHECK_FALSE(expr::evaluate(cut, data).ok());
  }
  // Trailing bytes, a future version, a foreign header.
  auto longer = good;
  longer.push_back(0);
  CHECK_FALSE(expr::validate(longer).ok());
  auto v2 = good;
  v2[2] = 2;
  CHECK(expr::validate(v2).message().find("version 2 is not supported") != std::string::npos);
  auto foreign = good;
  foreign[0] = 'X';
  CHECK_FALSE(expr::validate(foreign).ok());
  // Every single-byte corruption (each byte set to several values): validation decides, and
  // evaluation of whatever passes must finish with a value or an error.
  size_t accepted = 0;
  for (size_t i = 0; i < good.size(); ++i)
    for (uint8_t b : {uint8_t(0x00), uint8_t(0x01), uint8_t(0x05), uint8_t(0x06), uint8_t(0x7F), uint8_t(0x80),
                      uint8_t(0xFF)}) {
      auto bad = good;
      bad[i] = b;
      if (expr::validate(bad).ok()) {
        ++accepted;
        (void)expr::evaluate(bad, data);
      }
    }
  CHECK(accepted > 0);  // some corruptions are still valid programs (e.g. another literal)
  // An over-long varint.
  std::vector<uint8_t> varint = {'T', 'J', 1, uint8_t(expr::Tag::String), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
  CHECK_FALSE(expr::validate(varint).ok());
  // An opcode out of range and a wrong argument count.
  std::vector<uint8_t> op = {'T', 'J', 1, uint8_t(expr::Tag::Op), 200, 0, 0};
  CHECK_FALSE(expr::validate(op).ok());
  std::vector<uint8_t> arity = {'T', 'J', 1, uint8_t(expr::Tag::Op), uint8_t(expr::Op::Not), 0, 0};
  CHECK(expr::validate(arity).message().find("wrong argument count") != std::string::npos);
}

TEST_CASE("jsonlogic: compiled programs are compact and deterministic") {
  auto a = compile(json::parse(R"({"==":[{"var":"country"},"DE"]})"));
  auto b = compile(json::parse(R"({"==":[{"var":"country"},"DE"]})"));
  CHECK(a == b);
  CHECK(a.size() < 40);
  CHECK(expr::find_op("?:")->op == expr::Op::If);
  CHECK(expr::find_op("nope") == nullptr);
  for (uint8_t o = 0; o < static_cast<uint8_t>(expr::Op::kCount); ++o)
    CHECK(expr::find_op(expr::op_info(static_cast<expr::Op>(o)).name)->op == static_cast<expr::Op>(o));
}
