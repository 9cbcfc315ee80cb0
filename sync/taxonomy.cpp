#include "taxonomy.h"

namespace tailor::sync {

bool check_category_cycles(const std::vector<CategoryRow>& cats, const std::vector<std::string>& where,
                           ErrorList& errors) {
  // state: 0 unvisited, 1 on the current walk, 2 done (leads to a root or an already reported cycle)
  std::vector<uint8_t> state(cats.size(), 0);
  bool ok = true;
  for (size_t start = 0; start < cats.size(); ++start) {
    std::vector<int32_t> walk;
    int32_t c = static_cast<int32_t>(start);
    while (c >= 0 && state[c] == 0) {
      state[c] = 1;
      walk.push_back(c);
      c = cats[c].parent;
    }
    if (c >= 0 && state[c] == 1) {
      // `c` is on this walk: the cycle is walk[pos(c)..] back to c.
      size_t k = 0;
      while (walk[k] != c) ++k;
      std::string path;
      for (size_t i = k; i < walk.size(); ++i) path += cats[walk[i]].id + " -> ";
      path += cats[c].id;
      errors.add(where[c] + ": category cycle: " + path);
      ok = false;
    }
    for (int32_t w : walk) state[w] = 2;
  }
  return ok;
}

bool read_record_id(const Record& r, std::string& id, ErrorList& errors) {
  Field f = read_text(r, "id", id, errors);
  if (f == Field::kMissing) field_error(r, "id", "is required", errors);
  if (f != Field::kOk) return false;
  if (id.size() > kMaxIdBytes) {
    field_error(r, "id", "longer than " + std::to_string(kMaxIdBytes) + " bytes", errors);
    return false;
  }
  return true;
}

void load_categories(const SourceSpec& source, Catalog& out, ErrorList& errors, const ProgressFn& progress) {
  std::vector<std::string> parent_ids, where;
  read_records(source, errors, [&](const Record& r) {
    std::string id, name, parent;
    if (!read_record_id(r, id, errors)) return !errors.full();
    read_text(r, "name", name, errors);
    read_text(r, "parent", parent, errors);
    auto [it, inserted] = out.category_index.emplace(id, static_cast<uint32_t>(out.categories.size()));
    if (!inserted) {
      field_error(r, "id", "duplicate category " + quote_value(id) + " (first at " + where[it->second] + ")", errors);
      return !errors.full();
    }
    out.categories.push_back({id, name, -1});
    parent_ids.push_back(parent);
    where.push_back(r.where().str());
    return !errors.full();
  }, progress, "categories");
  for (size_t i = 0; i < out.categories.size(); ++i) {
    if (parent_ids[i].empty()) continue;
    int32_t p = out.find_category(parent_ids[i]);
    if (p < 0) {
      errors.add(where[i] + ": field 'parent': unknown category " + quote_value(parent_ids[i]));
    }
    out.categories[i].parent = p;
  }
  check_category_cycles(out.categories, where, errors);
}

void load_brands(const SourceSpec& source, Catalog& out, ErrorList& errors, const ProgressFn& progress) {
  std::vector<std::string> where;
  read_records(source, errors, [&](const Record& r) {
    std::string id, name;
    if (!read_record_id(r, id, errors)) return !errors.full();
    read_text(r, "name", name, errors);
    auto [it, inserted] = out.brand_index.emplace(id, static_cast<uint32_t>(out.brands.size()));
    if (!inserted) {
      field_error(r, "id", "duplicate brand " + quote_value(id) + " (first at " + where[it->second] + ")", errors);
      return !errors.full();
    }
    out.brands.push_back({id, name});
    where.push_back(r.where().str());
    return !errors.full();
  }, progress, "brands");
}

}  // namespace tailor::sync
