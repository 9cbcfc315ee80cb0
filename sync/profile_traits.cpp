#include "profile_traits.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tailor::sync {

AttrType attr_type_of(fb::AttributeType t) {
  return t == fb::AttributeType::Number        ? AttrType::kNumber
         : t == fb::AttributeType::Categorical ? AttrType::kCategorical
                                               : AttrType::kTags;
}

std::vector<TraitDecl> declared_traits(const Snapshot& snap) {
  std::vector<TraitDecl> out;
  if (const auto* attrs = snap.root().profile_attributes())
    for (const fb::Attribute* at : *attrs) {
      TraitDecl d;
      d.name = std::string(sv(at->name()));
      d.type = attr_type_of(at->type());
      out.push_back(std::move(d));
    }
  return out;
}

bool read_trait_row(const Record& r, const std::vector<TraitDecl>& decls, std::string& user,
                    std::vector<TraitUpdate>& updates, ErrorList& errors) {
  updates.clear();
  bool ok = true;
  user.clear();
  Field f = read_text(r, "user", user, errors);
  if (f == Field::kMissing) {
    field_error(r, "user", "missing (the visitor's user id, as in events)", errors);
    ok = false;
  } else if (f == Field::kError) {
    ok = false;
  }
  std::vector<std::string> list;
  for (size_t d = 0; d < decls.size(); ++d) {
    const TraitDecl& decl = decls[d];
    if (!r.find(decl.name)) continue;  // not in this row: unchanged
    TraitUpdate u;
    u.decl = static_cast<uint8_t>(d);
    u.value.type = decl.type;
    switch (decl.type) {
      case AttrType::kNumber: {
        double v = 0;
        f = read_number(r, decl.name, v, errors);
        if (f == Field::kOk && std::fabs(v) > std::numeric_limits<float>::max()) {
          field_error(r, decl.name, "out of range", errors);
          f = Field::kError;
        }
        u.value.number = static_cast<float>(v);
        break;
      }
      case AttrType::kCategorical:
        f = read_text(r, decl.name, u.value.text, errors);
        if (f == Field::kOk && u.value.text.size() > kMaxTraitText) {
          field_error(r, decl.name, "longer than " + std::to_string(kMaxTraitText) + " bytes", errors);
          f = Field::kError;
        }
        break;
      case AttrType::kTags:
        f = read_list(r, decl.name, list, errors);
        if (f == Field::kOk) {
          std::sort(list.begin(), list.end());
          list.erase(std::unique(list.begin(), list.end()), list.end());
          if (list.size() > kMaxTraitTags) {
            field_error(r, decl.name, "more than " + std::to_string(kMaxTraitTags) + " tags", errors);
            f = Field::kError;
          }
          for (const std::string& t : list)
            if (f == Field::kOk && t.size() > kMaxTraitText) {
              field_error(r, decl.name, "a tag is longer than " + std::to_string(kMaxTraitText) + " bytes", errors);
              f = Field::kError;
            }
          if (list.empty()) f = Field::kMissing;
          u.value.tags = list;
        }
        break;
    }
    if (f == Field::kError) {
      ok = false;
      continue;
    }
    u.clear = f == Field::kMissing;  // null, empty text or an empty list clears the trait
    updates.push_back(std::move(u));
  }
  return ok;
}

void apply_traits(const std::vector<TraitDecl>& decls, const std::vector<TraitUpdate>& updates,
                  std::map<std::string, TraitValue>& traits) {
  for (const TraitUpdate& u : updates) {
    const std::string& name = decls[u.decl].name;
    if (u.clear) traits.erase(name);
    else traits[name] = u.value;
  }
}

}  // namespace tailor::sync
