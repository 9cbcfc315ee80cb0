#include "json_parse.h"

namespace tailor::sync {
namespace {

// The DOM builder nlohmann uses for parse(), keeping the parse error's text instead of throwing
// (sax_parse calls parse_error on the static type, so hiding the base member is enough).
class DomBuilder : public nlohmann::detail::json_sax_dom_parser<nlohmann::json> {
 public:
  explicit DomBuilder(nlohmann::json& root) : json_sax_dom_parser(root, false) {}
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& last_token, const Exception& ex) {
    message = ex.what();
    return json_sax_dom_parser::parse_error(position, last_token, ex);
  }
  std::string message;
};

}  // namespace

bool parse_json(std::string_view text, nlohmann::json& out, std::string& why) {
  out = nlohmann::json();
  DomBuilder sax(out);
  bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &sax) && !sax.is_errored();
  if (ok) return true;
  out = nlohmann::json();
  // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
  std::string m = sax.message;
  size_t at = m.find(" at line ");
  if (at != std::string::npos) m = m.substr(at + 4);
  else if (m.empty()) m = "malformed JSON";
  why = m;
  return false;
}

std::string dump_json(const nlohmann::ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace tailor::sync
