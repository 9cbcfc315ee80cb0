#include "attributes.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tailor::sync {

uint32_t Interner::intern(const std::string& s) {
  auto [it, inserted] = codes_.emplace(s, static_cast<uint32_t>(values_.size()));
  if (inserted) values_.push_back(&it->first);
  return it->second;
}

void Interner::finish(std::vector<std::string>& dict, std::vector<uint32_t>& remap) const {
  std::vector<uint32_t> order(values_.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return *values_[a] < *values_[b]; });
  dict.clear();
  remap.assign(values_.size(), 0);
  for (uint32_t k = 0; k < order.size(); ++k) {
    dict.push_back(*values_[order[k]]);
    remap[order[k]] = k;
  }
}

AttributeReader::AttributeReader(const std::vector<AttributeConfig>& attributes, std::vector<AttributeColumn>& out)
    : attributes_(attributes), out_(out), interners_(attributes.size()) {
  out.assign(attributes.size(), AttributeColumn());
  for (size_t a = 0; a < attributes.size(); ++a) {
    out[a].type = attributes[a].type;
    if (attributes[a].type == AttrType::kTags) out[a].offsets.push_back(0);
  }
}

void AttributeReader::add(const Record& r, ErrorList& errors) {
  for (size_t a = 0; a < attributes_.size(); ++a) {
    const AttributeConfig& ac = attributes_[a];
    AttributeColumn& col = out_[a];
    switch (ac.type) {
      case AttrType::kNumber: {
        double v = std::numeric_limits<double>::quiet_NaN();
        if (read_number(r, ac.column, v, errors) == Field::kOk && std::fabs(v) > std::numeric_limits<float>::max()) {
          field_error(r, ac.column, "out of range", errors);
          v = std::numeric_limits<double>::quiet_NaN();
        }
        col.numbers.push_back(static_cast<float>(v));
        break;
      }
      case AttrType::kCategorical:
        text_.clear();
        col.codes.push_back(read_text(r, ac.column, text_, errors) == Field::kOk ? interners_[a].intern(text_) : kNoCode);
        break;
      case AttrType::kTags:
        if (read_list(r, ac.column, list_, errors) == Field::kOk)
          for (const std::string& t : list_) col.tags.push_back(interners_[a].intern(t));
        col.offsets.push_back(static_cast<uint32_t>(col.tags.size()));
        break;
    }
  }
}

void AttributeReader::finish() {
  std::vector<uint32_t> remap;
  for (size_t a = 0; a < out_.size(); ++a) {
    AttributeColumn& col = out_[a];
    if (col.type == AttrType::kNumber) {
      bool any = false;
      for (float v : col.numbers) {
        if (v != v) continue;
        col.min = any ? std::min(col.min, v) : v;
        col.max = any ? std::max(col.max, v) : v;
        any = true;
      }
      continue;
    }
    interners_[a].finish(col.dict, remap);
    if (col.type == AttrType::kCategorical) {
      for (uint32_t& c : col.codes)
        if (c != kNoCode) c = remap[c];
      continue;
    }
    // Tags: remap, then sort and de-duplicate each row's range in place.
    std::vector<uint32_t> offsets{0};
    uint32_t w = 0;
    for (size_t i = 0; i + 1 < col.offsets.size(); ++i) {
      auto first = col.tags.begin() + col.offsets[i], last = col.tags.begin() + col.offsets[i + 1];
      for (auto p = first; p != last; ++p) *p = remap[*p];
      std::sort(first, last);
      last = std::unique(first, last);
      for (auto p = first; p != last; ++p) col.tags[w++] = *p;
      offsets.push_back(w);
    }
    col.tags.resize(w);
    col.offsets = std::move(offsets);
  }
}

void permute_rows(std::vector<AttributeColumn>& columns, const std::vector<int32_t>& order) {
  for (AttributeColumn& col : columns) {
    switch (col.type) {
      case AttrType::kNumber: {
        std::vector<float> v(order.size());
        for (size_t k = 0; k < order.size(); ++k) v[k] = col.numbers[order[k]];
        col.numbers = std::move(v);
        break;
      }
      case AttrType::kCategorical: {
        std::vector<uint32_t> v(order.size());
        for (size_t k = 0; k < order.size(); ++k) v[k] = col.codes[order[k]];
        col.codes = std::move(v);
        break;
      }
      case AttrType::kTags: {
        std::vector<uint32_t> offsets{0}, tags;
        for (int32_t o : order) {
          tags.insert(tags.end(), col.tags.begin() + col.offsets[o], col.tags.begin() + col.offsets[o + 1]);
          offsets.push_back(static_cast<uint32_t>(tags.size()));
        }
        col.offsets = std::move(offsets);
        col.tags = std::move(tags);
        break;
      }
    }
  }
}

flatbuffers::Offset<fb::Attribute> write_attribute(flatbuffers::FlatBufferBuilder& fbb, const std::string& name_text,
                                                   const AttributeColumn& col) {
  auto name = fbb.CreateString(name_text);
  flatbuffers::Offset<flatbuffers::Vector<float>> numbers;
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> dict;
  flatbuffers::Offset<flatbuffers::Vector<uint32_t>> codes, offsets, tags;
  if (col.type == AttrType::kNumber) {
    numbers = fbb.CreateVector(col.numbers);
  } else {
    dict = fbb.CreateVectorOfStrings(col.dict);
    if (col.type == AttrType::kCategorical) {
      codes = fbb.CreateVector(col.codes);
    } else {
      offsets = fbb.CreateVector(col.offsets);
      tags = fbb.CreateVector(col.tags);
    }
  }
  fb::AttributeBuilder b(fbb);
  b.add_name(name);
  b.add_type(col.type == AttrType::kNumber        ? fb::AttributeType::Number
             : col.type == AttrType::kCategorical ? fb::AttributeType::Categorical
                                                  : fb::AttributeType::TagSet);
  b.add_custom(true);
  if (col.type == AttrType::kNumber) {
    b.add_numbers(numbers);
    b.add_min(col.min);
    b.add_max(col.max);
  } else {
    b.add_dict(dict);
    if (col.type == AttrType::kCategorical) b.add_codes(codes);
    else {
      b.add_offsets(offsets);
      b.add_tags(tags);
    }
  }
  return b.Finish();
}

const char* attr_owner_name(AttrOwner owner) {
  return owner == AttrOwner::kAccounts ? "accounts" : owner == AttrOwner::kProfiles ? "profiles" : "items";
}

const char* attr_type_name(AttrType type) {
  switch (type) {
    case AttrType::kNumber: return "number";
    case AttrType::kCategorical: return "categorical";
    default: return "tags";
  }
}

}  // namespace tailor::sync
