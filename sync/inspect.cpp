#include "inspect.h"

#include <charconv>

#include <flatbuffers/flatbuffers.h>

#include "config.h"
#include "feature_level.h"
#include "json_parse.h"
#include "tailor/sha256.h"
#include "tailor/snapshot.h"
#include "timestamp.h"

namespace tailor::sync {
namespace {

using nlohmann::ordered_json;

template <class V>
uint32_t len(const V* v) { return v ? v->size() : 0; }

// A float as the shortest decimal that reads back the same (19.99, not 19.989999771118164).
ordered_json number(float f) {
  if (f != f) return nullptr;
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
  double d = 0;
  std::from_chars(buf, end, d);
  return d;
}

const char* attribute_type(fb::AttributeType t) {
  switch (t) {
    case fb::AttributeType::Number: return "number";
    case fb::AttributeType::Categorical: return "categorical";
    case fb::AttributeType::TagSet: return "tags";
    default: return "unknown";
  }
}


Status verify(std::span<const uint8_t> bytes) {
  SnapshotLimits limits;
  if (bytes.size() > limits.max_bytes || bytes.size() >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return Status(Code::kLimitExceeded, "snapshot is " + std::to_string(bytes.size()) + " bytes, over the limit of " +
                                            std::to_string(limits.max_bytes));
  if (bytes.size() < 8)
    return Status(Code::kSnapshotInvalid, "snapshot invalid: truncated (" + std::to_string(bytes.size()) + " bytes)");
  if (!flatbuffers::BufferHasIdentifier(bytes.data(), fb::SnapshotIdentifier())) {
    std::string got(reinterpret_cast<const char*>(bytes.data()) + 4, 4);
    for (char& c : got)
      if (c < 32 || c > 126) c = '?';
    return Status(Code::kSnapshotIdentifier, "not a Tailor snapshot: file identifier is '" + got + "', expected 'TSNP'");
  }
  flatbuffers::Verifier::Options opts;
  opts.max_depth = kInspectMaxDepth;
  opts.max_tables = kInspectMaxTables;
  opts.check_alignment = true;
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), opts);
  if (!fb::VerifySnapshotBuffer(verifier))
    return Status(Code::kSnapshotInvalid, "snapshot invalid: FlatBuffers verification failed (truncated or corrupt)");
  return Status::Ok();
}

}  // namespace

Result<std::string> inspect_snapshot(std::span<const uint8_t> bytes, size_t item_limit) {
  Status st = verify(bytes);
  if (!st.ok()) return st;
  SnapshotLimits limits;
  limits.max_tables = kInspectMaxTables;
  auto opened = Snapshot::open(bytes, limits);
  if (!opened.ok()) return opened.status();
  const Snapshot& snap = *opened;
  const fb::Snapshot& root = snap.root();
  const fb::Items& it = snap.items();

  ordered_json j;
  j["schema_version"] = root.schema_version();
  j["min_engine"] = root.min_engine();
  // What needs that level: the features above level 1 the snapshot uses.
  j["features"] = ordered_json::array();
  for (const SnapshotFeature& f : snapshot_features(root)) j["features"].push_back({{"name", f.name}, {"level", f.level}});
  j["version"] = sv(root.version());
  j["built_at"] = root.built_at();
  j["built_at_utc"] = format_rfc3339(root.built_at());
  j["tenant"] = {{"id", sv(root.tenant()->id())}, {"name", sv(root.tenant()->name())}};
  j["sha256"] = snap.hash();
  j["bytes"] = bytes.size();
  j["counts"] = {{"sites", len(root.sites())},         {"categories", len(root.categories())},
                 {"brands", len(root.brands())},       {"items", snap.item_count()},
                 {"attributes", len(it.attributes())}, {"collections", len(root.collections())},
                 {"strategies", len(root.strategies())}, {"slots", len(root.slots())},
                 {"rules", len(root.rules())},         {"deny_lists", len(root.deny_lists())}};

  j["sites"] = ordered_json::array();
  if (root.sites())
    for (auto* s : *root.sites()) j["sites"].push_back(sv(s->id()));
  j["attributes"] = ordered_json::array();
  if (it.attributes())
    for (auto* a : *it.attributes()) {
      ordered_json x = {{"name", sv(a->name())}, {"type", attribute_type(a->type())}};
      if (a->type() != fb::AttributeType::Number) x["values"] = len(a->dict());
      j["attributes"].push_back(std::move(x));
    }
  if (snap.embedding_dim() > 0)
    j["embedding"] = {{"dim", snap.embedding_dim()},
                      {"format", it.embedding_f32() && it.embedding_f32()->size() ? "f32" : "int8"}};
  else
    j["embedding"] = nullptr;
  j["strategies"] = ordered_json::array();
  if (root.strategies())
    for (auto* s : *root.strategies()) {
      ordered_json terms = ordered_json::array();
      if (s->terms())
        for (auto* t : *s->terms())
          terms.push_back(t->name() ? std::string(sv(t->name())) : term_kind_config_name(t->kind()));
      j["strategies"].push_back({{"id", sv(s->id())}, {"terms", std::move(terms)}});
    }
  j["slots"] = ordered_json::array();
  if (root.slots())
    for (auto* s : *root.slots()) {
      ordered_json x = {{"id", sv(s->id())},
                        {"strategy", sv(root.strategies()->Get(s->strategy())->id())},
                        {"source", source_kind(s->source())},
                        {"size", s->size()}};
      if (s->site_overrides() && s->site_overrides()->size()) {  // only when present: older outputs unchanged
        ordered_json sites = ordered_json::object();
        for (auto* o : *s->site_overrides()) {
          ordered_json y = ordered_json::object();
          if (o->strategy() >= 0) y["strategy"] = sv(root.strategies()->Get(o->strategy())->id());
          if (o->has_source()) y["source"] = source_kind(o->source());
          if (o->size()) y["size"] = o->size();
          if (o->max_size()) y["max_size"] = o->max_size();
          sites[std::string(sv(root.sites()->Get(o->site())->id()))] = std::move(y);
        }
        x["sites"] = std::move(sites);
      }
      j["slots"].push_back(std::move(x));
    }
  if (root.site_items() && root.site_items()->size()) {
    ordered_json titles = ordered_json::object();
    for (auto* t : *root.site_items()) titles[std::string(sv(root.sites()->Get(t->site())->id()))] = len(t->items());
    j["site_titles"] = std::move(titles);
  }
  if (root.account_attributes() && root.account_attributes()->size()) {
    j["account_attributes"] = ordered_json::array();
    for (auto* a : *root.account_attributes()) {
      ordered_json x = {{"name", sv(a->name())}, {"type", attribute_type(a->type())}};
      if (a->type() != fb::AttributeType::Number) x["values"] = len(a->dict());
      j["account_attributes"].push_back(std::move(x));
    }
  }
  if (root.profile_attributes() && root.profile_attributes()->size()) {
    j["profile_attributes"] = ordered_json::array();  // names and types only: values are in profiles
    for (auto* a : *root.profile_attributes())
      j["profile_attributes"].push_back({{"name", sv(a->name())}, {"type", attribute_type(a->type())}});
  }
  j["rules"] = ordered_json::array();
  if (root.rules())
    for (auto* r : *root.rules()) j["rules"].push_back({{"id", sv(r->id())}, {"action", action_name(r->action())}});
  j["deny_lists"] = ordered_json::array();
  if (root.deny_lists())
    for (auto* d : *root.deny_lists()) {
      ordered_json site = d->site() < 0 ? ordered_json(nullptr) : ordered_json(sv(root.sites()->Get(d->site())->id()));
      j["deny_lists"].push_back({{"site", site}, {"items", len(d->items())}});
    }

  if (item_limit > 0) {
    ordered_json items = ordered_json::array();
    for (uint32_t i = 0; i < snap.item_count() && i < item_limit; ++i) {
      ordered_json x;
      x["id"] = sv(it.ids()->Get(i));
      x["title"] = it.titles() ? ordered_json(sv(it.titles()->Get(i))) : ordered_json(nullptr);
      int32_t c = it.category() ? it.category()->Get(i) : -1;
      int32_t b = it.brand() ? it.brand()->Get(i) : -1;
      x["category"] = c >= 0 ? ordered_json(sv(root.categories()->Get(c)->id())) : ordered_json(nullptr);
      x["brand"] = b >= 0 ? ordered_json(sv(root.brands()->Get(b)->id())) : ordered_json(nullptr);
      x["price"] = it.price() ? number(it.price()->Get(i)) : ordered_json(nullptr);
      items.push_back(std::move(x));
    }
    j["items"] = std::move(items);
  }
  return dump_json(j, 2);
}

const char* source_kind(fb::SourceKind k) {
  switch (k) {
    case fb::SourceKind::All: return "all";
    case fb::SourceKind::Category: return "category";
    case fb::SourceKind::Collection: return "collection";
    default: return "request";
  }
}

const char* action_name(fb::RuleAction a) {
  switch (a) {
    case fb::RuleAction::Boost: return "boost";
    case fb::RuleAction::Bury: return "bury";
    case fb::RuleAction::Pin: return "pin";
    default: return "exclude";
  }
}

}  // namespace tailor::sync
