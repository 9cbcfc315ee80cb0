#include "profile_builder.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "events.h"
#include "ndjson.h"
#include "profile_state.h"
#include "profile_traits.h"
#include "progress.h"
#include "search_terms.h"
#include "source.h"
#include "tailor/profile_generated.h"
#include "tailor/sha256.h"

namespace tailor::sync {
namespace {

// ---------- spill records (pass 1 -> pass 2): hashed id, never the raw one ----------
// u8 type | 16 hash | i64 ts | u64 order | payload by type:
//   view/cart/purchase: u32 item
//   search: u8 n, i32 categories[n], u8 m, i32 brands[m]
//   consent: u32 n, strings     identify: u8 flags, string account, u32 n, strings
//   traits row (type kTraitsRecord, ts 0): u8 n, per update: u8 declared index, u8 clear,
//     then unless clear: f32 | string | u32 n, strings (by the declared type)
// (strings: u32 length + bytes)
constexpr uint8_t kTraitsRecord = 0xF0;  // beside the EventType values

template <class T>
void put(std::string& b, T v) {
  b.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put_str(std::string& b, std::string_view s) {
  put<uint32_t>(b, static_cast<uint32_t>(s.size()));
  b.append(s);
}

struct SpillReader {
  const char* p;
  const char* end;
  template <class T>
  T get() {
    T v;
    std::memcpy(&v, p, sizeof v);  // spill files are ours and complete: no bounds surprises
    p += sizeof v;
    return v;
  }
  std::string str() {
    auto n = get<uint32_t>();
    std::string s(p, n);
    p += n;
    return s;
  }
};

struct SpillRecord {
  EventType type;
  UserHash hash;
  int64_t ts;
  uint64_t order;
  uint32_t item = 0;
  std::vector<int32_t> categories, brands;
  std::vector<std::string> list;  // consent purposes / identify segments
  std::string account;
  bool has_account = false, has_segments = false;
};

// Partition buffers appended to their files when large, so memory stays bounded and at most
// one spill file is open at a time.
class Spill {
 public:
  static constexpr size_t kFlushAt = 256 << 10;
  explicit Spill(std::filesystem::path dir) : dir_(std::move(dir)), bufs_(kPartitions) {}

  std::filesystem::path file(uint32_t p) const {
    char name[16];
    std::snprintf(name, sizeof name, "s%02x.spill", p);
    return dir_ / name;
  }
  std::string& buffer(uint32_t p) { return bufs_[p]; }
  Status maybe_flush(uint32_t p) { return bufs_[p].size() >= kFlushAt ? flush(p) : Status::Ok(); }
  Status flush_all() {
    for (uint32_t p = 0; p < kPartitions; ++p)
      if (Status st = flush(p); !st.ok()) return st;
    return Status::Ok();
  }
  uint64_t bytes() const { return bytes_; }

 private:
  Status flush(uint32_t p) {
    std::string& b = bufs_[p];
    if (b.empty()) return Status::Ok();
    FILE* f = std::fopen(file(p).c_str(), "ab");
    bool ok = f && std::fwrite(b.data(), 1, b.size(), f) == b.size();
    if (f) ok = std::fclose(f) == 0 && ok;
    if (!ok) return Status(Code::kIoError, file(p).string() + ": cannot write spill file");
    bytes_ += b.size();
    b.clear();
    b.shrink_to_fit();
    return Status::Ok();
  }
  std::filesystem::path dir_;
  std::vector<std::string> bufs_;
  uint64_t bytes_ = 0;
};

// ---------- aggregation ----------

// Keeps the `keep` newest entries once a recency map grows to twice that: an entry dropped here
// is older than `keep` others, which only get newer, so it can never be among the final newest.
void prune(std::unordered_map<uint32_t, Seq>& m, size_t keep) {
  if (m.size() < 2 * keep) return;
  std::vector<std::pair<Seq, uint32_t>> v;
  for (auto& [item, seq] : m) v.push_back({seq, item});
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(keep), v.end(), std::greater<>());
  m.clear();
  for (size_t i = 0; i < keep; ++i) m.emplace(v[i].second, v[i].first);
}

// Records that `item` occurred at `seq` (keeping its newest occurrence).
void note(std::unordered_map<uint32_t, Seq>& recent, uint32_t item, Seq seq, size_t keep) {
  auto [it, inserted] = recent.emplace(item, seq);
  if (!inserted && seq > it->second) it->second = seq;
  prune(recent, keep);
}

class Aggregator {
 public:
  Aggregator(const Snapshot& snap, int64_t now, double half_life_days)
      : snap_(snap), items_(snap.items()), now_(now), half_life_s_(half_life_days * 86400.0) {}

  void apply(const SpillRecord& e, UserState& u);

 private:
  void interact(UserState& u, uint32_t item, double w);

  const Snapshot& snap_;
  const fb::Items& items_;
  int64_t now_;
  double half_life_s_;
};

void Aggregator::apply(const SpillRecord& e, UserState& u) {
  u.touched = true;
  u.updated_at = std::max(u.updated_at, e.ts);
  const Seq seq{e.ts, e.order};
  switch (e.type) {
    case EventType::kConsent:
      if (!u.has_consent || seq > u.consent_at) {
        u.has_consent = true;
        u.consent_at = seq;
        u.consent.clear();
        for (const std::string& p : e.list)
          if (std::find(u.consent.begin(), u.consent.end(), p) == u.consent.end()) u.consent.push_back(p);
      }
      return;
    case EventType::kIdentify:
      if (!u.has_identify || seq > u.identify_at) {
        u.has_identify = true;
        u.identify_at = seq;
        u.account = e.account;
        u.segments = e.list;
      }
      return;
    default:
      break;
  }
  const double age = static_cast<double>(std::max<int64_t>(0, now_ - e.ts));
  const double w = event_weight(e.type) * std::exp2(-age / half_life_s_);
  if (e.type == EventType::kSearch) {
    // The weight is shared by what the query named, so a query naming three categories counts
    // as much as one naming a single category.
    if (!e.categories.empty())
      for (int32_t c : e.categories) u.categories[c] += w / static_cast<double>(e.categories.size());
    if (!e.brands.empty())
      for (int32_t b : e.brands) u.brands[b] += w / static_cast<double>(e.brands.size());
    return;
  }
  interact(u, e.item, w);
  if (e.type == EventType::kView) note(u.viewed, e.item, seq, kMaxRecentViewed);
  if (e.type == EventType::kPurchase) note(u.bought, e.item, seq, kMaxRecentBought);
}

void Aggregator::interact(UserState& u, uint32_t item, double w) {
  if (items_.category() && items_.category()->Get(item) >= 0) u.categories[items_.category()->Get(item)] += w;
  if (items_.brand() && items_.brand()->Get(item) >= 0) u.brands[items_.brand()->Get(item)] += w;
  if (const auto* attrs = items_.attributes()) {
    for (uint32_t a = 0; a < attrs->size(); ++a) {
      const fb::Attribute* at = attrs->Get(a);
      const auto key = static_cast<int32_t>(a);
      if (at->type() == fb::AttributeType::Categorical) {
        uint32_t code = at->codes()->Get(item);
        if (code != kMissingCode) u.attributes[{key, code}] += w;
      } else if (at->type() == fb::AttributeType::TagSet) {
        for (uint32_t k = at->offsets()->Get(item), end = at->offsets()->Get(item + 1); k < end; ++k)
          u.attributes[{key, at->tags()->Get(k)}] += w;
      }
    }
  }
  const uint32_t dim = snap_.embedding_dim();
  if (dim == 0) return;
  if (u.embedding.empty()) u.embedding.assign(dim, 0.0);
  const uint64_t base = uint64_t(item) * dim;
  if (items_.embedding_f32() && items_.embedding_f32()->size() == uint64_t(snap_.item_count()) * dim) {
    const float* v = items_.embedding_f32()->data() + base;
    for (uint32_t k = 0; k < dim; ++k) u.embedding[k] += w * v[k];
  } else {
    const double scale = items_.embedding_scale()->Get(item);
    for (uint32_t k = 0; k < dim; ++k) u.embedding[k] += w * scale * items_.embedding_i8()->Get(base + k);
  }
}

// ---------- output ----------

// Keeps the `cap` strongest entries (ties: smaller key), divides by the strongest so the top is
// 1, drops entries that decayed to nothing, and sorts by key.
template <class Key>
std::vector<std::pair<Key, float>> normalise(std::vector<std::pair<Key, double>> v, size_t cap) {
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (v.size() > cap) v.resize(cap);
  std::vector<std::pair<Key, float>> out;
  const double top = v.empty() ? 0.0 : v.front().second;
  if (!(top > 0)) return out;
  for (auto& [k, w] : v) {
    float x = static_cast<float>(w / top);
    if (x > 0) out.push_back({std::move(k), x});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<std::string> newest_ids(const Snapshot& snap, const std::unordered_map<uint32_t, Seq>& m, size_t cap) {
  std::vector<std::pair<Seq, uint32_t>> v;
  for (auto& [item, seq] : m) v.push_back({seq, item});
  std::sort(v.begin(), v.end(), std::greater<>());
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size() && i < cap; ++i) out.emplace_back(sv(snap.items().ids()->Get(v[i].second)));
  return out;
}

void serialise(const Snapshot& snap, const std::string& hash, const UserState& u, flatbuffers::FlatBufferBuilder& fbb) {
  const fb::Snapshot& root = snap.root();
  std::vector<std::pair<std::string, double>> cats, brands;
  for (auto& [c, w] : u.categories) cats.push_back({std::string(sv(root.categories()->Get(c)->id())), w});
  for (auto& [b, w] : u.brands) brands.push_back({std::string(sv(root.brands()->Get(b)->id())), w});
  // Attribute affinities: normalised per attribute.
  std::vector<std::pair<std::pair<std::string, std::string>, float>> attrs;
  for (auto it = u.attributes.begin(); it != u.attributes.end();) {
    const int32_t a = it->first.first;
    const fb::Attribute* at = snap.items().attributes()->Get(a);
    std::vector<std::pair<std::string, double>> values;
    for (; it != u.attributes.end() && it->first.first == a; ++it)
      values.push_back({std::string(sv(at->dict()->Get(it->first.second))), it->second});
    for (auto& [value, w] : normalise(std::move(values), kMaxAffinities))
      attrs.push_back({{std::string(sv(at->name())), value}, w});
  }
  std::sort(attrs.begin(), attrs.end());

  fbb.Clear();
  auto make_affinities = [&](std::vector<std::pair<std::string, double>> v) {
    std::vector<flatbuffers::Offset<fb::Affinity>> out;
    for (auto& [key, w] : normalise(std::move(v), kMaxAffinities)) {
      auto k = fbb.CreateString(key);
      out.push_back(fb::CreateAffinity(fbb, k, w));
    }
    return fbb.CreateVector(out);
  };
  auto hash_s = fbb.CreateString(hash);
  auto tenant = fbb.CreateString(sv(root.tenant()->id()));
  auto account = u.has_identify && !u.account.empty() ? fbb.CreateString(u.account) : 0;
  auto categories = make_affinities(std::move(cats));
  auto brands_v = make_affinities(std::move(brands));
  std::vector<flatbuffers::Offset<fb::AttributeAffinity>> attr_offsets;
  for (auto& [key, w] : attrs) {
    auto name = fbb.CreateString(key.first);
    auto value = fbb.CreateString(key.second);
    attr_offsets.push_back(fb::CreateAttributeAffinity(fbb, name, value, w));
  }
  auto attributes = fbb.CreateVector(attr_offsets);
  flatbuffers::Offset<flatbuffers::Vector<float>> embedding;
  double norm = 0;
  for (double x : u.embedding) norm += x * x;
  norm = std::sqrt(norm);
  if (norm > 0 && std::isfinite(norm)) {
    std::vector<float> v(u.embedding.size());
    for (size_t k = 0; k < v.size(); ++k) v[k] = static_cast<float>(u.embedding[k] / norm);
    embedding = fbb.CreateVector(v);
  }
  auto segments = u.has_identify && !u.segments.empty() ? fbb.CreateVectorOfStrings(u.segments) : 0;
  auto viewed = fbb.CreateVectorOfStrings(newest_ids(snap, u.viewed, kMaxRecentViewed));
  auto bought = fbb.CreateVectorOfStrings(newest_ids(snap, u.bought, kMaxRecentBought));
  auto consent = u.has_consent ? fbb.CreateVectorOfStrings(u.consent) : 0;
  // Declared traits only, of the declared type (u.traits is sorted by name, as the engine needs).
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Trait>>> traits;
  if (!u.traits.empty()) {
    std::vector<flatbuffers::Offset<fb::Trait>> v;
    const auto* decls = root.profile_attributes();
    for (auto& [name, t] : u.traits) {
      bool declared = false;
      if (decls)
        for (const fb::Attribute* at : *decls)
          if (sv(at->name()) == name) declared = attr_type_of(at->type()) == t.type;
      if (!declared) continue;
      auto name_s = fbb.CreateString(name);
      flatbuffers::Offset<flatbuffers::String> text;
      flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> tags;
      if (t.type == AttrType::kCategorical) text = fbb.CreateString(t.text);
      if (t.type == AttrType::kTags) tags = fbb.CreateVectorOfStrings(t.tags);
      fb::TraitBuilder tb(fbb);
      tb.add_name(name_s);
      if (t.type == AttrType::kNumber) tb.add_number(t.number);
      if (!text.IsNull()) tb.add_text(text);
      if (!tags.IsNull()) tb.add_tags(tags);
      v.push_back(tb.Finish());
    }
    if (!v.empty()) traits = fbb.CreateVector(v);
  }

  fb::ProfileBuilder b(fbb);
  b.add_schema_version(kSchemaVersion);
  b.add_user_hash(hash_s);
  b.add_tenant(tenant);
  if (!account.IsNull()) b.add_account_id(account);
  b.add_updated_at(u.updated_at);
  b.add_categories(categories);
  b.add_brands(brands_v);
  b.add_attributes(attributes);
  if (!embedding.IsNull()) b.add_embedding(embedding);
  if (!segments.IsNull()) b.add_segments(segments);
  b.add_recent_viewed(viewed);
  b.add_recent_bought(bought);
  if (!consent.IsNull()) b.add_consent(consent);
  if (!traits.IsNull()) b.add_traits(traits);
  fb::FinishProfileBuffer(fbb, b.Finish());
}

UserHash hash_user(std::string_view tenant, std::string_view user) {
  Sha256 h;
  h.update(tenant);
  h.update(":");
  h.update(user);
  auto digest = h.finish();
  UserHash out;
  std::memcpy(out.data(), digest.data(), out.size());
  return out;
}

// Removes a directory tree when it goes out of scope (spill files, an unfinished state).
struct RemoveOnExit {
  std::filesystem::path dir;
  ~RemoveOnExit() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

std::filesystem::path unique_dir(const std::filesystem::path& parent, const std::string& stem) {
  static int counter = 0;
  return parent / (stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
}

// Pass 1: every line validated; this shard's events spilled by partition. Returns false on errors.
bool spill_events(const Snapshot& snap, const ProfileOptions& o, uint64_t order_base, Spill& spill,
                  ProfileStats& stats, int64_t& newest, ErrorList& errors) {
  if (!o.events_source && o.events_path.empty()) return true;  // traits only
  const bool from_source = o.events_source.has_value();
  const std::string name = from_source                ? o.events_source->name
                           : o.events_name.empty()    ? o.events_path.string()
                                                      : o.events_name;
  const bool from_stdin = !from_source && o.events_path == "-";
  std::ifstream file;
  uint64_t total = 0;
  if (!from_stdin && !from_source) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(o.events_path, ec)) {
      errors.add_io(name + ": cannot read: no such file (" + o.events_path.string() + ")");
      return false;
    }
    total = std::filesystem::file_size(o.events_path, ec);
    file.open(o.events_path, std::ios::binary);
    if (!file) {
      errors.add_io(name + ": cannot open " + o.events_path.string());
      return false;
    }
  }
  std::istream& in = from_stdin || from_source ? std::cin : file;
  Progress progress(from_source ? "profiles: reading events (rows)" : "profiles: reading events", total,
                    from_source ? Progress::Unit::kCount : Progress::Unit::kBytes, o.progress);
  const std::string tenant(sv(snap.root().tenant()->id()));
  SearchMatcher matcher(snap);
  ItemIndex items(snap);
  Event e;
  std::vector<int32_t> cats, brands;
  bool any = false;
  bool io_failed = false;
  // One record (an NDJSON line or a source row): validated, then spilled when this shard's.
  auto handle = [&](const Record& record) {
    if (!parse_event(record, e, errors)) return;
    newest = any ? std::max(newest, e.ts) : e.ts;
    any = true;
    if (!errors.empty()) return;  // keep validating; nothing is spilled once a line is bad
    const UserHash h = hash_user(tenant, e.user);
    if (shard_of(h, o.shard_count) != o.shard_index) return;
    ++stats.events;
    int32_t item = -1;
    if (e.type == EventType::kView || e.type == EventType::kCart || e.type == EventType::kPurchase) {
      item = items.find(e.item);
      if (item < 0) {
        ++stats.skipped;
        return;
      }
    }
    const uint32_t p = partition_of(h);
    std::string& b = spill.buffer(p);
    put<uint8_t>(b, static_cast<uint8_t>(e.type));
    b.append(reinterpret_cast<const char*>(h.data()), h.size());
    put<int64_t>(b, e.ts);
    put<uint64_t>(b, order_base + e.line);
    switch (e.type) {
      case EventType::kView:
      case EventType::kCart:
      case EventType::kPurchase: put<uint32_t>(b, static_cast<uint32_t>(item)); break;
      case EventType::kSearch:
        matcher.match(e.query, cats, brands);
        if (!cats.empty() || !brands.empty()) ++stats.searches_matched;
        put<uint8_t>(b, static_cast<uint8_t>(cats.size()));
        for (int32_t c : cats) put<int32_t>(b, c);
        put<uint8_t>(b, static_cast<uint8_t>(brands.size()));
        for (int32_t x : brands) put<int32_t>(b, x);
        break;
      case EventType::kConsent:
        put<uint32_t>(b, static_cast<uint32_t>(e.purposes.size()));
        for (auto& s : e.purposes) put_str(b, s);
        break;
      case EventType::kIdentify:
        put<uint8_t>(b, static_cast<uint8_t>((e.has_account ? 1 : 0) | (e.has_segments ? 2 : 0)));
        put_str(b, e.account);
        put<uint32_t>(b, static_cast<uint32_t>(e.segments.size()));
        for (auto& s : e.segments) put_str(b, s);
        break;
    }
    if (Status st = spill.maybe_flush(p); !st.ok()) {
      errors.add_io(st.message());
      io_failed = true;
    }
  };

  if (from_source) {
    // A file or PostgreSQL source through its map (docs/sources.md): rows are counted from 1 and
    // their number is the event order, as line numbers are for NDJSON.
    uint64_t rows = 0;
    stats.lines = read_records(*o.events_source, errors, [&](const Record& r) {
      handle(r);
      if ((++rows & 0xFFFF) == 0 && progress.enabled()) progress.set(rows);
      return !io_failed && !errors.full();
    });
    if (io_failed || errors.has_io_error()) return false;
  } else {
    NdjsonReader reader(in);
    nlohmann::json j;
    while (!errors.full() && !io_failed) {
      NdjsonReader::Next n = reader.next(j);
      if (n == NdjsonReader::Next::kEnd) break;
      if ((reader.line() & 0xFFFF) == 0 && progress.enabled() && !from_stdin)
        progress.set(static_cast<uint64_t>(std::max<std::streamoff>(0, in.tellg())));
      if (n == NdjsonReader::Next::kError) {
        errors.add(name + ":" + std::to_string(reader.line()) + ": " + reader.error());
        continue;
      }
      handle(record_from_json(j, Location{&name, reader.line(), false}));
    }
    if (io_failed) return false;
    if (in.bad()) errors.add_io(name + ": read error");
    stats.lines = reader.line();
    stats.events_bytes = from_stdin ? 0 : total;
  }
  if (!errors.empty()) return false;
  if (Status st = spill.flush_all(); !st.ok()) {
    errors.add_io(st.message());
    return false;
  }
  stats.spill_bytes = spill.bytes();
  return true;
}

// Pass 1 for traits: every row validated; this shard's rows spilled (after its events, so within
// a partition traits are applied after the events, in row order).
bool spill_traits(const Snapshot& snap, const ProfileOptions& o, Spill& spill, ProfileStats& stats,
                  ErrorList& errors) {
  const std::vector<TraitDecl> decls = declared_traits(snap);
  const SourceSpec& src = *o.traits_source;
  if (decls.empty()) {
    errors.add(src.name + ": the snapshot declares no profile attributes (attributes[].on: \"profiles\")");
    return false;
  }
  const std::string tenant(sv(snap.root().tenant()->id()));
  Progress progress("profiles: reading traits (rows)", 0, Progress::Unit::kCount, o.progress);
  std::string user;
  std::vector<TraitUpdate> updates;
  bool io_failed = false;
  uint64_t rows = 0;
  stats.trait_rows = read_records(src, errors, [&](const Record& r) {
    if ((++rows & 0xFFFF) == 0 && progress.enabled()) progress.set(rows);
    if (!read_trait_row(r, decls, user, updates, errors) || !errors.empty()) return !errors.full();
    const UserHash h = hash_user(tenant, user);
    if (shard_of(h, o.shard_count) != o.shard_index) return true;
    ++stats.traits;
    const uint32_t p = partition_of(h);
    std::string& b = spill.buffer(p);
    put<uint8_t>(b, kTraitsRecord);
    b.append(reinterpret_cast<const char*>(h.data()), h.size());
    put<int64_t>(b, 0);
    put<uint64_t>(b, rows);
    put<uint8_t>(b, static_cast<uint8_t>(updates.size()));
    for (const TraitUpdate& u : updates) {
      put<uint8_t>(b, u.decl);
      put<uint8_t>(b, u.clear ? 1 : 0);
      if (u.clear) continue;
      switch (u.value.type) {
        case AttrType::kNumber: put<float>(b, u.value.number); break;
        case AttrType::kCategorical: put_str(b, u.value.text); break;
        case AttrType::kTags:
          put<uint32_t>(b, static_cast<uint32_t>(u.value.tags.size()));
          for (const std::string& t : u.value.tags) put_str(b, t);
          break;
      }
    }
    if (Status st = spill.maybe_flush(p); !st.ok()) {
      errors.add_io(st.message());
      io_failed = true;
    }
    return !io_failed && !errors.full();
  });
  progress.finish();
  if (io_failed || !errors.empty()) return false;
  if (Status st = spill.flush_all(); !st.ok()) {
    errors.add_io(st.message());
    return false;
  }
  stats.spill_bytes = spill.bytes();
  return true;
}

void read_spill(const std::filesystem::path& path, Aggregator& agg, const std::vector<TraitDecl>& decls,
                std::map<UserHash, UserState>& users) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return;  // no events in this partition
  std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  SpillReader r{data.data(), data.data() + data.size()};
  SpillRecord e;
  std::vector<TraitUpdate> updates;
  while (r.p < r.end) {
    const uint8_t type = r.get<uint8_t>();
    e.type = static_cast<EventType>(type);
    std::memcpy(e.hash.data(), r.p, e.hash.size());
    r.p += e.hash.size();
    e.ts = r.get<int64_t>();
    e.order = r.get<uint64_t>();
    if (type == kTraitsRecord) {
      updates.clear();
      for (uint8_t n = r.get<uint8_t>(); n > 0; --n) {
        TraitUpdate u;
        u.decl = r.get<uint8_t>();
        u.clear = r.get<uint8_t>() != 0;
        u.value.type = decls[u.decl].type;
        if (!u.clear) switch (u.value.type) {
            case AttrType::kNumber: u.value.number = r.get<float>(); break;
            case AttrType::kCategorical: u.value.text = r.str(); break;
            case AttrType::kTags:
              for (uint32_t k = r.get<uint32_t>(); k > 0; --k) u.value.tags.push_back(r.str());
              break;
          }
        updates.push_back(std::move(u));
      }
      UserState& u = users[e.hash];
      u.touched = true;
      apply_traits(decls, updates, u.traits);
      continue;
    }
    e.categories.clear();
    e.brands.clear();
    e.list.clear();
    switch (e.type) {
      case EventType::kView:
      case EventType::kCart:
      case EventType::kPurchase: e.item = r.get<uint32_t>(); break;
      case EventType::kSearch:
        for (uint8_t n = r.get<uint8_t>(); n > 0; --n) e.categories.push_back(r.get<int32_t>());
        for (uint8_t n = r.get<uint8_t>(); n > 0; --n) e.brands.push_back(r.get<int32_t>());
        break;
      case EventType::kConsent:
        for (uint32_t n = r.get<uint32_t>(); n > 0; --n) e.list.push_back(r.str());
        break;
      case EventType::kIdentify: {
        uint8_t flags = r.get<uint8_t>();
        e.has_account = flags & 1;
        e.has_segments = flags & 2;
        e.account = r.str();
        for (uint32_t n = r.get<uint32_t>(); n > 0; --n) e.list.push_back(r.str());
        break;
      }
    }
    agg.apply(e, users[e.hash]);
  }
}

// Moves the finished state directory into place (replacing this shard's previous one).
Status commit_state(const std::filesystem::path& tmp, const std::filesystem::path& final_dir) {
  std::error_code ec;
  std::filesystem::path old;
  if (std::filesystem::exists(final_dir, ec)) {
    old = unique_dir(final_dir.parent_path(), final_dir.filename().string() + ".old");
    std::filesystem::rename(final_dir, old, ec);
    if (ec) return Status(Code::kIoError, final_dir.string() + ": cannot replace: " + ec.message());
  }
  std::filesystem::rename(tmp, final_dir, ec);
  if (ec) return Status(Code::kIoError, final_dir.string() + ": cannot write: " + ec.message());
  if (!old.empty()) std::filesystem::remove_all(old, ec);
  return Status::Ok();
}

}  // namespace

std::string user_hash(std::string_view tenant, std::string_view user) { return hash_hex(hash_user(tenant, user)); }

bool build_profiles(const Snapshot& snap, const ProfileOptions& o, const ProfileSink& sink, ProfileStats& stats,
                    ErrorList& errors) {
  stats = ProfileStats();
  if (!(o.half_life_days > 0) || !std::isfinite(o.half_life_days)) {
    errors.add("half-life must be a positive number of days");
    return false;
  }
  if (o.shard_count == 0 || o.shard_index >= o.shard_count) {
    errors.add("shard must be i/N with 0 <= i < N");
    return false;
  }
  const std::string tenant(sv(snap.root().tenant()->id()));

  PreviousState prev;
  if (o.previous) {
    if (!find_previous_state(*o.previous, o.shard_index, o.shard_count, prev, errors)) return false;
    const StateManifest& m = prev.manifest;
    if (m.tenant != tenant) {
      errors.add(o.previous->string() + ": previous profiles are for tenant '" + m.tenant + "', the snapshot is '" +
                 tenant + "'");
      return false;
    }
    if (m.half_life_days != o.half_life_days) {
      errors.add(o.previous->string() + ": previous build used a half-life of " + std::to_string(m.half_life_days) +
                 " days; an incremental build must use the same (--half-life-days), or rebuild in full");
      return false;
    }
    if (o.now && *o.now < m.now) {
      errors.add("--now is before the previous build's now (" + std::to_string(m.now) + "); decay cannot run backwards");
      return false;
    }
  }

  std::error_code ec;
  std::filesystem::path spill_parent =
      o.spill_dir ? *o.spill_dir
                  : o.state_out ? *o.state_out / "tailor-state" : std::filesystem::temp_directory_path(ec);
  RemoveOnExit spill_guard{unique_dir(spill_parent, "spill")};
  std::filesystem::create_directories(spill_guard.dir, ec);
  if (ec) {
    errors.add_io(spill_guard.dir.string() + ": cannot create spill directory: " + ec.message());
    return false;
  }
  Spill spill(spill_guard.dir);
  int64_t newest = 0;
  if (!spill_events(snap, o, prev.manifest.order_end, spill, stats, newest, errors)) return false;
  if (o.traits_source && !spill_traits(snap, o, spill, stats, errors)) return false;
  const std::vector<TraitDecl> decls = declared_traits(snap);

  int64_t now = o.now ? *o.now : newest;
  if (o.previous && !o.now) now = std::max(now, prev.manifest.now);
  stats.now = now;

  RemoveOnExit state_guard;
  std::filesystem::path final_state;
  if (o.state_out) {
    final_state = shard_state_dir(*o.state_out, o.shard_index, o.shard_count);
    state_guard.dir = unique_dir(final_state.parent_path(), final_state.filename().string() + ".tmp");
    std::filesystem::create_directories(state_guard.dir, ec);
    if (ec) {
      errors.add_io(state_guard.dir.string() + ": cannot create: " + ec.message());
      return false;
    }
  }

  Aggregator agg(snap, now, o.half_life_days);
  std::optional<StateReader> state_reader;
  if (o.previous) state_reader.emplace(snap);
  StateWriter state_writer(snap);
  const double carry = o.previous ? std::exp2(-static_cast<double>(now - prev.manifest.now) /
                                              (o.half_life_days * 86400.0))
                                  : 1.0;
  flatbuffers::FlatBufferBuilder fbb(1024);
  Progress progress("profiles: writing partitions", kPartitions, Progress::Unit::kCount, o.progress);
  for (uint32_t p = 0; p < kPartitions; ++p) {
    std::map<UserHash, UserState> users;
    for (const auto& dir : prev.shard_dirs) {
      const auto file = partition_file(dir, p);
      if (!std::filesystem::exists(file, ec)) {
        errors.add_io(file.string() + ": missing from the previous state");
        return false;
      }
      if (!state_reader->read(file, o.shard_index, o.shard_count, users, errors)) return false;
    }
    stats.previous_profiles += users.size();
    if (carry != 1.0)
      for (auto& [h, u] : users) u.decay(carry);
    read_spill(spill.file(p), agg, decls, users);
    std::filesystem::remove(spill.file(p), ec);
    for (auto& [h, u] : users) {
      ++stats.profiles;
      if (o.state_out) state_writer.add(h, u);
      if (!u.touched && !o.emit_unchanged) continue;
      const std::string hex = hash_hex(h);
      serialise(snap, hex, u, fbb);
      Status st = sink(hex, {fbb.GetBufferPointer(), fbb.GetSize()});
      if (!st.ok()) {
        errors.add_io(st.message());
        return false;
      }
      ++stats.written;
      stats.profile_bytes += fbb.GetSize();
    }
    if (o.state_out) {
      if (Status st = state_writer.flush_to(partition_file(state_guard.dir, p)); !st.ok()) {
        errors.add_io(st.message());
        return false;
      }
    }
    progress.set(p + 1);
  }
  progress.finish();
  if (o.state_out) {
    StateManifest m{tenant, now, o.half_life_days, prev.manifest.order_end + stats.lines, o.shard_index,
                    o.shard_count, stats.profiles};
    Status st = write_manifest(state_guard.dir, m);
    if (st.ok()) st = commit_state(state_guard.dir, final_state);
    if (!st.ok()) {
      errors.add_io(st.message());
      return false;
    }
    state_guard.dir.clear();
    stats.state_bytes = state_writer.bytes_written();
  }
  return true;
}

}  // namespace tailor::sync
