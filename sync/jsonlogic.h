// JsonLogic compiler: a rule (JSON) to the version-1 bytecode the core evaluates
// (core/include/tailor/expr.h). Used by `tailor build` for every `condition` and by
// `tailor jsonlogic`, so the command tests exactly what ships.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tailor/expr.h"

namespace tailor::sync {

// Compiles `rule`. On error returns false with `where` = the path inside the rule ("" for the
// rule itself, "and[1]" for the second argument of a top-level `and`) and `why` the problem
// ("unknown operator 'foo'").
bool compile_jsonlogic(const nlohmann::json& rule, std::vector<uint8_t>& out, std::string& where, std::string& why,
                       const expr::Limits& limits = {});

}  // namespace tailor::sync
