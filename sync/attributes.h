// Typed custom attributes (docs/config.md#attributes): the columns of one owner's declared
// attributes (items or accounts) read from its source records, with located errors for a value of
// the wrong type, and written as snapshot Attribute tables.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "catalog.h"
#include "config.h"
#include "errors.h"
#include "record.h"

namespace tailor::sync {

// Gives strings provisional codes in order of first appearance; finish() sorts them so the
// snapshot does not depend on row order.
class Interner {
 public:
  uint32_t intern(const std::string& s);
  size_t size() const { return values_.size(); }
  // Sorted dictionary, and remap[provisional code] = index in it.
  void finish(std::vector<std::string>& dict, std::vector<uint32_t>& remap) const;

 private:
  std::unordered_map<std::string, uint32_t> codes_;  // node-based: key addresses are stable
  std::vector<const std::string*> values_;
};

// Appends one row per add() to each declared attribute's column.
class AttributeReader {
 public:
  AttributeReader(const std::vector<AttributeConfig>& attributes, std::vector<AttributeColumn>& out);
  // Reads the declared columns of `r`: a number that is not a number, a tag list that is not a
  // list, ... is reported as "<where>: field '<column>': <why>" and stored as missing.
  void add(const Record& r, ErrorList& errors);
  // Sorts dictionaries (codes remapped, tag sets sorted and unique) and computes number min/max.
  void finish();

 private:
  const std::vector<AttributeConfig>& attributes_;
  std::vector<AttributeColumn>& out_;
  std::vector<Interner> interners_;
  std::string text_;
  std::vector<std::string> list_;
};

// Reorders rows: row k of the result is row order[k] of the input.
void permute_rows(std::vector<AttributeColumn>& columns, const std::vector<int32_t>& order);

// One snapshot Attribute table (custom = true: declared by the tenant).
flatbuffers::Offset<fb::Attribute> write_attribute(flatbuffers::FlatBufferBuilder& fbb, const std::string& name,
                                                   const AttributeColumn& col);

// "items", "accounts".
const char* attr_owner_name(AttrOwner owner);
// "number", "categorical", "tags".
const char* attr_type_name(AttrType type);

}  // namespace tailor::sync
