#include "tailor/snapshot.h"
#include "tailor/sites.h"

#include <flatbuffers/flatbuffers.h>

#include "tailor/plugin.h"
#include "tailor/policy.h"
#include "tailor/b2b.h"
#include "tailor/expr.h"
#include "tailor/experiments.h"
#include "tailor/sha256.h"

namespace tailor {
namespace {

Status invalid(std::string what) { return Status(Code::kSnapshotInvalid, "snapshot invalid: " + what); }

template <class V>
uint32_t len(const V* v) { return v ? v->size() : 0; }

// An optional per-item column must be absent or exactly item_count long.
template <class V>
bool column_ok(const V* v, uint32_t n) { return !v || v->size() == n; }

// The FlatBuffers verifier only checks a vector's length field for 4-byte alignment, so a corrupt
// offset can leave a 64-bit column 4 bytes off; reading it would be a misaligned (UB) load.
template <class V>
bool aligned_8(const V* v, const uint8_t* base) {
  return !v || v->size() == 0 || (reinterpret_cast<const uint8_t*>(v->Data()) - base) % 8 == 0;
}

template <class V>
bool indices_ok(const V* v, uint32_t bound, bool allow_minus_one = false) {
  if (!v) return true;
  for (auto x : *v) {
    int64_t i = static_cast<int64_t>(x);
    if (allow_minus_one && i == -1) continue;
    if (i < 0 || i >= static_cast<int64_t>(bound)) return false;
  }
  return true;
}

template <class V>
int32_t linear_find(const V* v, std::string_view id) {
  if (!v) return -1;
  for (uint32_t i = 0; i < v->size(); ++i)
    if (sv(v->Get(i)->id()) == id) return static_cast<int32_t>(i);
  return -1;
}

template <class V>
bool contains(const V* v, uint32_t x) {
  for (auto e : *v)
    if (static_cast<uint32_t>(e) == x) return true;
  return false;
}

// Every stored JsonLogic condition of table `v` (`what`: "rule") must be a well-formed program
// (header, version byte, lengths, opcodes, argument counts, nesting): the edge evaluates them.
template <class V>
Status conditions_ok(const V* v, const char* what) {
  if (!v) return Status::Ok();
  for (auto* x : *v) {
    const auto* c = x->condition();
    if (!c || c->size() == 0) continue;
    Status st = expr::validate(std::span<const uint8_t>(c->data(), c->size()));
    if (!st.ok()) return invalid(std::string(what) + " '" + std::string(sv(x->id())) + "' " + st.message());
  }
  return Status::Ok();
}

// One typed attribute column of `n` rows: lengths, codes within the dictionary, CSR offsets.
Status check_attribute(const fb::Attribute* at, uint32_t n) {
  const std::string name(sv(at->name()));
  const uint32_t dict = len(at->dict());
  switch (at->type()) {
    case fb::AttributeType::Number:
      if (len(at->numbers()) != n) return invalid("attribute '" + name + "' numbers length");
      return Status::Ok();
    case fb::AttributeType::Categorical:
      if (len(at->codes()) != n) return invalid("attribute '" + name + "' codes length");
      // An empty table may omit the vector entirely.
      if (at->codes())
        for (uint32_t c : *at->codes())
          if (c != kMissingCode && c >= dict) return invalid("attribute '" + name + "' code");
      return Status::Ok();
    case fb::AttributeType::TagSet: {
      if (len(at->offsets()) != n + 1) return invalid("attribute '" + name + "' offsets");
      uint32_t prev = 0;
      for (uint32_t o : *at->offsets()) {
        if (o < prev || o > len(at->tags())) return invalid("attribute '" + name + "' offsets");
        prev = o;
      }
      if (!indices_ok(at->tags(), dict)) return invalid("attribute '" + name + "' tags");
      return Status::Ok();
    }
    default:
      return invalid("attribute '" + name + "' has an unknown type");
  }
}

}  // namespace

Result<Snapshot> Snapshot::open(std::span<const uint8_t> bytes, const SnapshotLimits& limits) {
  if (bytes.size() > limits.max_bytes || bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return Status(Code::kLimitExceeded, "snapshot is " + std::to_string(bytes.size()) +
                                            " bytes, over the limit of " + std::to_string(limits.max_bytes));
  if (bytes.size() < 8)
    return Status(Code::kSnapshotInvalid, "snapshot invalid: truncated (" + std::to_string(bytes.size()) + " bytes)");
  if (!fb::SnapshotBufferHasIdentifier(bytes.data())) {
    std::string got(reinterpret_cast<const char*>(bytes.data()) + 4, 4);
    for (char& c : got)
      if (c < 32 || c > 126) c = '?';
    return Status(Code::kSnapshotIdentifier,
                  "not a Tailor snapshot: file identifier is '" + got + "', expected 'TSNP'");
  }
  flatbuffers::Verifier::Options opts;
  opts.max_depth = limits.max_depth;
  opts.max_tables = limits.max_tables;
  opts.check_alignment = true;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), opts);
  if (!fb::VerifySnapshotBuffer(verifier))
    return Status(Code::kSnapshotInvalid, "snapshot invalid: FlatBuffers verification failed (truncated or corrupt)");

  Snapshot s;
  s.bytes_ = bytes;
  s.root_ = fb::GetSnapshot(bytes.data());
  if (s.root_->min_engine() > kFeatureLevel)
    return Status(Code::kSnapshotIncompatible,
                  "snapshot needs feature level " + std::to_string(s.root_->min_engine()) +
                      ", this engine reads up to level " + std::to_string(kFeatureLevel) +
                      " (upgrade the engine or rebuild the snapshot without the newer features)");
  Status st = s.validate(limits);
  if (!st.ok()) return st;
  s.hash_ = sha256_hex(bytes);
  s.index_rules();
  s.shared_price_lists_ = tailor::shared_price_lists(*s.root_);
  if (limits.check_plugins)
    if (Status ps = check_snapshot_plugins(s); !ps.ok()) return ps;
  return s;
}

Status Snapshot::validate(const SnapshotLimits& limits) {
  const fb::Items& it = *root_->items();
  const uint32_t n = it.ids()->size();
  if (n > limits.max_items)
    return Status(Code::kLimitExceeded, "snapshot has " + std::to_string(n) + " items, over the limit of " +
                                            std::to_string(limits.max_items));
  item_count_ = n;
  const uint32_t ncat = len(root_->categories()), nbrand = len(root_->brands());
  const uint32_t nsite = len(root_->sites()), nattr = len(it.attributes());
  const uint32_t nstrat = len(root_->strategies()), nslot = len(root_->slots());
  if (nsite > 64) return invalid("more than 64 sites");
  if (!column_ok(it.id_order(), n) || !indices_ok(it.id_order(), n)) return invalid("items.id_order");
  if (!column_ok(it.titles(), n)) return invalid("items.titles length");
  if (!column_ok(it.category(), n) || !indices_ok(it.category(), ncat, true)) return invalid("items.category");
  if (!column_ok(it.brand(), n) || !indices_ok(it.brand(), nbrand, true)) return invalid("items.brand");
  if (!column_ok(it.price(), n)) return invalid("items.price length");
  if (!column_ok(it.popularity(), n)) return invalid("items.popularity length");
  if (!column_ok(it.published_at(), n)) return invalid("items.published_at length");
  if (!column_ok(it.stock(), n)) return invalid("items.stock length");
  if (!column_ok(it.site_mask(), n)) return invalid("items.site_mask length");
  if (!aligned_8(it.published_at(), bytes_.data()) || !aligned_8(it.site_mask(), bytes_.data()))
    return invalid("items: misaligned 64-bit column");

  embedding_dim_ = it.embedding_dim();
  if (embedding_dim_ > limits.max_embedding_dim) return invalid("embedding_dim too large");
  if (embedding_dim_ > 0) {
    const uint64_t want = uint64_t(n) * embedding_dim_;
    bool f32 = it.embedding_f32() && it.embedding_f32()->size() == want;
    bool i8 = it.embedding_i8() && it.embedding_i8()->size() == want && column_ok(it.embedding_scale(), n) &&
              it.embedding_scale();
    if (!f32 && !i8) return invalid("embedding columns do not match item_count * embedding_dim");
  }

  for (uint32_t a = 0; a < nattr; ++a)
    if (Status st = check_attribute(it.attributes()->Get(a), n); !st.ok()) return st;
  // Tenant-declared account attributes: one row per account.
  const uint32_t naccount = len(root_->accounts());
  if (const auto* attrs = root_->account_attributes())
    for (const fb::Attribute* at : *attrs)
      if (Status st = check_attribute(at, naccount); !st.ok()) return st;
  // Declared profile traits: names and types only (values come with each profile); capped so a
  // request's condition data stays small.
  if (const auto* attrs = root_->profile_attributes(); attrs && attrs->size() > kMaxProfileAttributes)
    return invalid("more than " + std::to_string(kMaxProfileAttributes) + " profile attributes");

  // Category parents: in range and acyclic (depth bounded by the category count).
  for (uint32_t c = 0; c < ncat; ++c) {
    int32_t p = root_->categories()->Get(c)->parent();
    uint32_t steps = 0;
    while (p != -1) {
      if (p < 0 || static_cast<uint32_t>(p) >= ncat) return invalid("category parent out of range");
      if (++steps > ncat) return invalid("category hierarchy has a cycle");
      p = root_->categories()->Get(p)->parent();
    }
  }

  if (root_->collections())
    for (auto* col : *root_->collections())
      if (!indices_ok(col->items(), n)) return invalid("collection '" + std::string(sv(col->id())) + "' item index");

  if (root_->strategies())
    for (auto* st : *root_->strategies()) {
      if (!st->terms()) continue;
      for (auto* t : *st->terms()) {
        auto k = t->kind();
        if (k > fb::TermKind::MAX) return invalid("strategy '" + std::string(sv(st->id())) + "' term kind");
        if (k == fb::TermKind::Attribute || k == fb::TermKind::AttributeAffinity) {
          if (t->attribute() < 0 || static_cast<uint32_t>(t->attribute()) >= nattr)
            return invalid("strategy '" + std::string(sv(st->id())) + "' term attribute index");
          auto type = it.attributes()->Get(t->attribute())->type();
          bool want_number = k == fb::TermKind::Attribute;
          if ((type == fb::AttributeType::Number) != want_number)
            return invalid("strategy '" + std::string(sv(st->id())) + "' term attribute type");
        }
      }
    }

  if (root_->slots())
    for (auto* sl : *root_->slots()) {
      if (sl->strategy() < 0 || static_cast<uint32_t>(sl->strategy()) >= nstrat)
        return invalid("slot '" + std::string(sv(sl->id())) + "' strategy index");
      if (sl->source() == fb::SourceKind::Category &&
          (sl->source_index() < 0 || static_cast<uint32_t>(sl->source_index()) >= ncat))
        return invalid("slot '" + std::string(sv(sl->id())) + "' category index");
      if (sl->source() == fb::SourceKind::Collection &&
          (sl->source_index() < 0 || static_cast<uint32_t>(sl->source_index()) >= len(root_->collections())))
        return invalid("slot '" + std::string(sv(sl->id())) + "' collection index");
      if (sl->source() > fb::SourceKind::MAX) return invalid("slot '" + std::string(sv(sl->id())) + "' source kind");
      if (const fb::Diversity* d = sl->diversity(); d && !(d->mmr_lambda() >= 0.0f && d->mmr_lambda() <= 1.0f))
        return invalid("slot '" + std::string(sv(sl->id())) + "' diversity mmr_lambda outside [0, 1]");
      if (const fb::Diversity* d = sl->diversity(); d && d->cap_attribute() >= 0) {
        const auto* attrs = root_->items()->attributes();
        const fb::Attribute* a = attrs && static_cast<uint32_t>(d->cap_attribute()) < attrs->size()
                                     ? attrs->Get(static_cast<uint32_t>(d->cap_attribute())) : nullptr;
        if (!a || a->type() != fb::AttributeType::Categorical || !a->codes() || !a->dict() || a->codes()->size() != n)
          return invalid("slot '" + std::string(sv(sl->id())) + "' diversity cap_attribute is not a categorical attribute");
      }
    }

  if (root_->rules())
    for (auto* r : *root_->rules()) {
      std::string id(sv(r->id()));
      if (r->action() > fb::RuleAction::MAX) return invalid("rule '" + id + "' action");
      if (!indices_ok(r->slots(), nslot) || !indices_ok(r->sites(), nsite)) return invalid("rule '" + id + "' scope");
      if (const fb::ItemMatch* m = r->match()) {
        if (!indices_ok(m->items(), n) || !indices_ok(m->categories(), ncat) || !indices_ok(m->brands(), nbrand))
          return invalid("rule '" + id + "' match index");
        if (m->attribute() != -1) {
          if (m->attribute() < 0 || static_cast<uint32_t>(m->attribute()) >= nattr)
            return invalid("rule '" + id + "' match attribute");
          const fb::Attribute* at = it.attributes()->Get(m->attribute());
          if (at->type() == fb::AttributeType::Number || !indices_ok(m->values(), len(at->dict())))
            return invalid("rule '" + id + "' match values");
        }
        if (m->number_attribute() != -1 &&
            (m->number_attribute() < 0 || static_cast<uint32_t>(m->number_attribute()) >= nattr ||
             it.attributes()->Get(m->number_attribute())->type() != fb::AttributeType::Number))
          return invalid("rule '" + id + "' number attribute");
      }
    }

  if (root_->deny_lists())
    for (auto* d : *root_->deny_lists()) {
      if (d->site() < -1 || d->site() >= static_cast<int32_t>(nsite)) return invalid("deny list site");
      if (!indices_ok(d->items(), n)) return invalid("deny list item index");
      if (d->items())
        for (uint32_t i = 1; i < d->items()->size(); ++i)
          if (d->items()->Get(i - 1) > d->items()->Get(i)) return invalid("deny list not sorted");
    }
  if (Status st = validate_policies(*root_, n, ncat); !st.ok()) return st;
  for (Status st : {conditions_ok(root_->segments(), "segment"), conditions_ok(root_->rules(), "rule"),
                    conditions_ok(root_->slots(), "slot"),
                    conditions_ok(root_->experiments(), "experiment"), conditions_ok(root_->policies(), "policy")})
    if (!st.ok()) return st;
  if (Status st = validate_experiments(*root_); !st.ok()) return st;
  if (Status st = validate_sites(*root_, n); !st.ok()) return st;
  return validate_b2b(*root_, n);
}

int32_t Snapshot::find_item(std::string_view id) const {
  const fb::Items& it = items();
  const auto* ids = it.ids();
  if (const auto* order = it.id_order()) {
    uint32_t lo = 0, hi = order->size();
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      uint32_t idx = order->Get(mid);
      std::string_view m = sv(ids->Get(idx));
      if (m < id) lo = mid + 1;
      else if (m > id) hi = mid;
      else return static_cast<int32_t>(idx);
    }
    return -1;
  }
  for (uint32_t i = 0; i < ids->size(); ++i)
    if (sv(ids->Get(i)) == id) return static_cast<int32_t>(i);
  return -1;
}

int32_t Snapshot::find_slot(std::string_view id) const { return linear_find(root_->slots(), id); }
int32_t Snapshot::find_site(std::string_view id) const { return linear_find(root_->sites(), id); }
int32_t Snapshot::find_category(std::string_view id) const { return linear_find(root_->categories(), id); }
int32_t Snapshot::find_brand(std::string_view id) const { return linear_find(root_->brands(), id); }

int32_t Snapshot::find_attribute(std::string_view name) const {
  const auto* attrs = items().attributes();
  if (!attrs) return -1;
  for (uint32_t i = 0; i < attrs->size(); ++i)
    if (sv(attrs->Get(i)->name()) == name) return static_cast<int32_t>(i);
  return -1;
}

uint32_t Snapshot::find_code(int32_t attribute, std::string_view value) const {
  const auto* attrs = items().attributes();
  if (!attrs || attribute < 0 || static_cast<uint32_t>(attribute) >= attrs->size()) return kMissingCode;
  const auto* dict = attrs->Get(attribute)->dict();
  if (!dict) return kMissingCode;
  // Dictionaries are sorted at build time; fall back to a scan if one is not.
  uint32_t lo = 0, hi = dict->size();
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    std::string_view m = sv(dict->Get(mid));
    if (m < value) lo = mid + 1;
    else if (m > value) hi = mid;
    else return mid;
  }
  for (uint32_t i = 0; i < dict->size(); ++i)
    if (sv(dict->Get(i)) == value) return i;
  return kMissingCode;
}

// All present conditions must hold; an empty or absent list is no condition.
bool Snapshot::item_matches(const fb::ItemMatch* m, uint32_t item, bool check_items) const {
  if (!m) return true;
  const fb::Items& it = items();
  if (check_items && m->items() && m->items()->size() && !contains(m->items(), item)) return false;
  if (m->categories() && m->categories()->size()) {
    int32_t c = it.category() ? it.category()->Get(item) : -1;
    bool any = false;
    for (int32_t want : *m->categories()) any = any || category_within(c, want);
    if (!any) return false;
  }
  if (m->brands() && m->brands()->size()) {
    int32_t b = it.brand() ? it.brand()->Get(item) : -1;
    if (b < 0 || !contains(m->brands(), static_cast<uint32_t>(b))) return false;
  }
  if (m->attribute() >= 0 && m->values() && m->values()->size()) {
    const fb::Attribute& at = *it.attributes()->Get(m->attribute());
    bool any = false;
    if (at.type() == fb::AttributeType::Categorical) {
      any = contains(m->values(), at.codes()->Get(item));
    } else {
      for (uint32_t k = at.offsets()->Get(item), e = at.offsets()->Get(item + 1); k < e && !any; ++k)
        any = contains(m->values(), at.tags()->Get(k));
    }
    if (!any) return false;
  }
  if (m->number_attribute() >= 0) {
    float v = it.attributes()->Get(m->number_attribute())->numbers()->Get(item);
    if (!(v >= m->number_min() && v <= m->number_max())) return false;
  }
  return true;
}

void Snapshot::index_rules() {
  const auto* rules = root_->rules();
  const uint32_t nrules = rules ? rules->size() : 0;
  rule_words_ = (size_t(item_count_) + 63) / 64;
  rule_bits_.assign(size_t(nrules) * rule_words_, 0);
  for (uint32_t r = 0; r < nrules; ++r) {
    uint64_t* bits = rule_bits_.data() + size_t(r) * rule_words_;
    const fb::ItemMatch* m = rules->Get(r)->match();
    if (m && m->items() && m->items()->size()) {  // an id list: test only the listed items
      for (uint32_t i : *m->items())
        if (item_matches(m, i, false)) bits[i >> 6] |= uint64_t(1) << (i & 63);
      continue;
    }
    for (uint32_t i = 0; i < item_count_; ++i)
      if (item_matches(m, i, false)) bits[i >> 6] |= uint64_t(1) << (i & 63);
  }
}

bool Snapshot::category_within(int32_t c, int32_t ancestor) const {
  const auto* cats = root_->categories();
  while (c >= 0) {
    if (c == ancestor) return true;
    c = cats->Get(c)->parent();
  }
  return false;
}

}  // namespace tailor
