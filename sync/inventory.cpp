#include "inventory.h"

#include <cstdint>
#include <unordered_map>

#include "taxonomy.h"

namespace tailor::sync {

void parse_inventory(ConfigReader& r, const nlohmann::json& root, Config& c) {
  const nlohmann::json* v = r.member(root, "inventory", "", false);
  if (!v) return;
  nlohmann::json source = *v;
  if (source.is_object()) {
    if (auto policy = r.text(source, "unknown_items", "inventory")) {
      if (*policy == "ignore") c.inventory_ignore_unknown = true;
      else if (*policy != "error")
        r.error("inventory.unknown_items", "unknown value " + quote_value(*policy) + " (expected one of: error, ignore)");
    }
    source.erase("unknown_items");
  }
  nlohmann::json holder = {{"inventory", std::move(source)}};
  c.inventory = r.source(holder, "inventory", "", true);
}

void merge_inventory(const Config& config, Catalog& out, ErrorList& errors, const ProgressFn& progress) {
  if (!config.inventory) return;
  std::unordered_map<uint32_t, std::string> first;  // item index -> where the inventory listed it
  std::string id;
  read_records(*config.inventory, errors, [&](const Record& r) {
    if (!read_record_id(r, id, errors)) return !errors.full();
    int32_t item = out.find_item(id);
    if (item < 0) {
      if (!config.inventory_ignore_unknown)
        field_error(r, "id", "unknown item " + quote_value(id) + " (set inventory.unknown_items to \"ignore\" to skip it)",
                    errors);
      return !errors.full();
    }
    auto [it, inserted] = first.emplace(static_cast<uint32_t>(item), r.where().str());
    if (!inserted) {
      field_error(r, "id", "item " + quote_value(id) + " listed twice (first at " + it->second + ")", errors);
      return !errors.full();
    }
    int64_t stock = -1;
    Field f = read_integer(r, "stock", stock, errors);
    if (f == Field::kError) return !errors.full();
    if (f == Field::kOk && (stock < 0 || stock > INT32_MAX)) {
      field_error(r, "stock", std::to_string(stock) + " is not a unit count (0.." + std::to_string(INT32_MAX) +
                                  ", empty when unknown)",
                  errors);
      return !errors.full();
    }
    out.stock[static_cast<size_t>(item)] = static_cast<int32_t>(stock);
    ++out.inventory_rows;
    return !errors.full();
  }, progress, "inventory");
}

}  // namespace tailor::sync
