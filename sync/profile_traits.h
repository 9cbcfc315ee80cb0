// Profile traits (docs/profiles.md#traits): tenant-declared typed attributes on profiles
// (`attributes[].on: "profiles"`), read from a CRM-style source keyed by the visitor's raw user
// id (hashed at once, like event user ids) and kept per visitor in the profile and the state.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config.h"
#include "errors.h"
#include "record.h"
#include "tailor/snapshot.h"

namespace tailor::sync {

// Caps per value, so a profile stays well inside the engine's ProfileLimits.
constexpr size_t kMaxTraitText = 256;  // bytes of a categorical value or of one tag
constexpr size_t kMaxTraitTags = 64;   // tags of one trait

// A declared profile attribute, from the snapshot.
struct TraitDecl {
  std::string name;
  AttrType type = AttrType::kNumber;
};
std::vector<TraitDecl> declared_traits(const Snapshot& snap);
AttrType attr_type_of(fb::AttributeType t);

// One visitor's value of a trait (the field used is the type's).
struct TraitValue {
  AttrType type = AttrType::kNumber;
  float number = 0;
  std::string text;
  std::vector<std::string> tags;  // sorted, unique
  bool operator==(const TraitValue&) const = default;
};

// What one source row does to one declared trait: set it, or clear it (a null or empty value).
struct TraitUpdate {
  uint8_t decl = 0;  // index into the declared traits
  bool clear = false;
  TraitValue value;
};

// Reads one traits row: `user` (required text: the raw id, to be hashed by the caller) and,
// for every declared name the row has, an update. Columns the row lacks leave that trait
// unchanged; other columns are ignored. Errors are located ("crm.csv:7: field 'ltv': ...").
// Returns false when the row is unusable (then `updates` is meaningless).
bool read_trait_row(const Record& r, const std::vector<TraitDecl>& decls, std::string& user,
                    std::vector<TraitUpdate>& updates, ErrorList& errors);

// Applies updates in order (later rows win).
void apply_traits(const std::vector<TraitDecl>& decls, const std::vector<TraitUpdate>& updates,
                  std::map<std::string, TraitValue>& traits);

}  // namespace tailor::sync
