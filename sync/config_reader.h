// ConfigReader: typed reads of tailor.json members that know their path, so every problem is
// reported as "<file>: rules[2].match.items[0]: <problem>".
#pragma once
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config.h"
#include "errors.h"

namespace tailor::sync {

// "rules" + "match" -> "rules.match"; "" + "rules" -> "rules".
std::string at(const std::string& path, std::string_view key);
// "rules" + 2 -> "rules[2]".
std::string at(const std::string& path, size_t index);

class ConfigReader {
 public:
  using json = nlohmann::json;

  ConfigReader(const std::string& file, const std::filesystem::path& base_dir, ErrorList& errors)
      : file_(file), base_(base_dir), errors_(errors) {}

  void error(const std::string& path, const std::string& msg);
  // For messages located in a source rather than in the config ("segments.csv:3: ...").
  ErrorList& errors() { return errors_; }
  // The directory relative paths in the config are resolved against.
  const std::filesystem::path& base() const { return base_; }

  // True when `j` is an object; reports each key not in `allowed` as an unknown field.
  bool object(const json& j, const std::string& path, std::initializer_list<std::string_view> allowed);
  // The member `key`, or nullptr when absent or null; reports absence when `required`.
  const json* member(const json& obj, std::string_view key, const std::string& path, bool required);

  // Each returns nullopt when the member is absent (reported if required) or malformed (reported).
  std::optional<std::string> text(const json& obj, std::string_view key, const std::string& path,
                                  bool required = false);
  // A non-empty string.
  std::optional<std::string> id(const json& obj, std::string_view key, const std::string& path,
                                bool required = true);
  // A finite number within float range.
  std::optional<double> number(const json& obj, std::string_view key, const std::string& path,
                               bool required = false);
  std::optional<int64_t> integer(const json& obj, std::string_view key, const std::string& path, int64_t lo,
                                 int64_t hi, bool required = false);
  std::optional<bool> boolean(const json& obj, std::string_view key, const std::string& path);
  // Unix seconds or RFC 3339.
  std::optional<int64_t> timestamp(const json& obj, std::string_view key, const std::string& path);
  // An array of non-empty id strings (integers accepted as their decimal text).
  std::vector<IdRef> ids(const json& obj, std::string_view key, const std::string& path, bool required = false);
  // {"path", "format"?} (path resolved against the config's directory) or {"postgres": {...}},
  // either with an optional "map" (docs/sources.md).
  std::optional<SourceSpec> source(const json& obj, std::string_view key, const std::string& path, bool required);

  // Reports `id` when already in `seen` (id -> path of its first use).
  void unique(std::map<std::string, std::string>& seen, const std::string& id, const std::string& path);

  // `profile.<key>` names read by conditions ({"var": "profile.tier"}), with where: checked
  // after parsing against the built-in profile keys and the attributes on profiles.
  std::vector<IdRef> profile_vars;

 private:
  const std::string& file_;
  std::filesystem::path base_;
  ErrorList& errors_;
};

}  // namespace tailor::sync
