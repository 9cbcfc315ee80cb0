#include "catalog.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "attributes.h"
#include "inventory.h"
#include "taxonomy.h"

namespace tailor::sync {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

class ItemMapper {
 public:
  ItemMapper(const Config& config, Catalog& out, ErrorList& errors)
      : config_(config), out_(out), errors_(errors), attributes_(config.attributes, out.attributes) {
    auto_categories_ = !config.categories.has_value();
    source_brands_ = static_cast<uint32_t>(out.brands.size());
    for (size_t i = 0; i < config.sites.size(); ++i) sites_.emplace(config.sites[i].id, static_cast<uint32_t>(i));
  }

  bool add(const Record& r);
  void finish();

 private:
  bool fail() { return !errors_.full(); }
  void map_embedding(const Record& r);

  const Config& config_;
  Catalog& out_;
  ErrorList& errors_;
  bool auto_categories_ = false;
  uint32_t source_brands_ = 0;
  Interner categories_;  // auto-created categories (no categories source)
  Interner brands_;      // brands named by items but not in the brands source
  std::unordered_map<std::string, uint32_t> sites_;
  AttributeReader attributes_;
  std::vector<uint64_t> first_pos_;  // record position of each item, for duplicate messages
  std::vector<double> raw_popularity_;
  std::string text_;
  std::vector<std::string> list_;
  std::vector<double> numbers_;
};

bool ItemMapper::add(const Record& r) {
  std::string id;
  if (!read_record_id(r, id, errors_)) return fail();
  if (out_.ids.size() >= kMaxItems) {
    errors_.add(r.where().str() + ": more than " + std::to_string(kMaxItems) + " items (the engine's limit)");
    return false;
  }
  const uint32_t index = out_.item_count();
  auto [it, inserted] = out_.item_index.emplace(id, index);
  if (!inserted) {
    Location first = r.where();
    first.pos = first_pos_[it->second];
    field_error(r, "id", "duplicate id " + quote_value(id) + " (first at " + first.str() + ")", errors_);
    return fail();
  }
  out_.ids.push_back(std::move(id));
  first_pos_.push_back(r.where().pos);

  text_.clear();
  read_text(r, "title", text_, errors_);
  out_.titles.push_back(text_);

  int32_t category = -1;
  text_.clear();
  if (read_text(r, "category", text_, errors_) == Field::kOk) {
    if (auto_categories_) {
      category = static_cast<int32_t>(categories_.intern(text_));
    } else {
      category = out_.find_category(text_);
      if (category < 0) field_error(r, "category", "unknown category " + quote_value(text_), errors_);
    }
  }
  out_.category.push_back(category);

  int32_t brand = -1;
  text_.clear();
  if (read_text(r, "brand", text_, errors_) == Field::kOk) {
    brand = out_.find_brand(text_);
    if (brand < 0) brand = static_cast<int32_t>(source_brands_ + brands_.intern(text_));
  }
  out_.brand.push_back(brand);

  double price = kNaN;
  if (read_number(r, "price", price, errors_) == Field::kOk && price < 0) {
    field_error(r, "price", "must be >= 0, got " + number_text(price), errors_);
  } else if (std::fabs(price) > std::numeric_limits<float>::max()) {
    field_error(r, "price", "out of range", errors_);
  }
  out_.price.push_back(static_cast<float>(price));

  double popularity = 0;
  if (read_number(r, "popularity", popularity, errors_) == Field::kOk && popularity < 0) {
    field_error(r, "popularity", "must be >= 0, got " + std::to_string(popularity), errors_);
    popularity = 0;
  }
  raw_popularity_.push_back(popularity);

  int64_t published = 0;
  read_timestamp(r, "published_at", published, errors_);
  out_.published_at.push_back(published);

  int64_t stock = -1;
  if (read_integer(r, "stock", stock, errors_) == Field::kOk && (stock < 0 || stock > INT32_MAX)) {
    field_error(r, "stock", std::to_string(stock) + " is not a unit count (0.." + std::to_string(INT32_MAX) +
                                ", empty when unknown)",
                errors_);
    stock = -1;
  }
  out_.stock.push_back(static_cast<int32_t>(stock));

  uint64_t mask = 0;
  if (read_list(r, "sites", list_, errors_) == Field::kOk) {
    for (const std::string& s : list_) {
      auto site = sites_.find(s);
      if (site == sites_.end()) field_error(r, "sites", "unknown site " + quote_value(s), errors_);
      else mask |= uint64_t(1) << site->second;
    }
  }
  out_.site_mask.push_back(mask);

  if (config_.embedding.dim > 0) map_embedding(r);
  attributes_.add(r, errors_);
  return fail();
}

void ItemMapper::map_embedding(const Record& r) {
  const size_t dim = config_.embedding.dim;
  const size_t base = out_.embedding.size();
  out_.embedding.resize(base + dim, 0.0f);
  if (read_numbers(r, "embedding", numbers_, errors_) != Field::kOk) return;
  if (numbers_.size() != dim) {
    field_error(r, "embedding", "has " + std::to_string(numbers_.size()) + " numbers, embedding.dim is " +
                                    std::to_string(dim),
                errors_);
    return;
  }
  double norm = 0;
  for (double v : numbers_) norm += v * v;
  norm = std::sqrt(norm);
  if (!(norm > 0) || !std::isfinite(norm)) return;  // all zeros: the item has no embedding signal
  for (size_t k = 0; k < dim; ++k) out_.embedding[base + k] = static_cast<float>(numbers_[k] / norm);
}

void ItemMapper::finish() {
  std::vector<std::string> dict;
  std::vector<uint32_t> remap;
  if (auto_categories_) {
    categories_.finish(dict, remap);
    for (std::string& id : dict) {
      out_.category_index.emplace(id, static_cast<uint32_t>(out_.categories.size()));
      out_.categories.push_back({std::move(id), "", -1});
    }
    for (int32_t& c : out_.category)
      if (c >= 0) c = static_cast<int32_t>(remap[c]);
  }
  brands_.finish(dict, remap);
  for (std::string& id : dict) {
    out_.brand_index.emplace(id, static_cast<uint32_t>(out_.brands.size()));
    out_.brands.push_back({std::move(id), ""});
  }
  for (int32_t& b : out_.brand)
    if (b >= static_cast<int32_t>(source_brands_)) b = static_cast<int32_t>(source_brands_ + remap[b - source_brands_]);

  double max_pop = 0;
  for (double p : raw_popularity_) max_pop = std::max(max_pop, p);
  out_.popularity.resize(raw_popularity_.size());
  for (size_t i = 0; i < raw_popularity_.size(); ++i)
    out_.popularity[i] = max_pop > 0 ? static_cast<float>(std::log1p(raw_popularity_[i]) / std::log1p(max_pop)) : 0.0f;

  attributes_.finish();
}

}  // namespace

uint32_t AttributeColumn::code_of(std::string_view value) const {
  auto it = std::lower_bound(dict.begin(), dict.end(), value);
  return it != dict.end() && *it == value ? static_cast<uint32_t>(it - dict.begin()) : kNoCode;
}

int32_t Catalog::find_item(const std::string& id) const {
  auto it = item_index.find(id);
  return it == item_index.end() ? -1 : static_cast<int32_t>(it->second);
}

int32_t Catalog::find_category(const std::string& id) const {
  auto it = category_index.find(id);
  return it == category_index.end() ? -1 : static_cast<int32_t>(it->second);
}

int32_t Catalog::find_brand(const std::string& id) const {
  auto it = brand_index.find(id);
  return it == brand_index.end() ? -1 : static_cast<int32_t>(it->second);
}

void load_catalog(const Config& config, Catalog& out, ErrorList& errors, const ProgressFn& progress) {
  out = Catalog();
  if (config.categories) load_categories(*config.categories, out, errors, progress);
  if (errors.full()) return;
  if (config.brands) load_brands(*config.brands, out, errors, progress);
  if (errors.full()) return;
  ItemMapper mapper(config, out, errors);
  read_records(config.items, errors, [&](const Record& r) { return mapper.add(r); }, progress, "items");
  mapper.finish();
  if (!errors.full()) merge_inventory(config, out, errors, progress);
}

}  // namespace tailor::sync
