#include "profile_builder.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "events.h"
#include "source.h"
#include "tailor/profile_generated.h"
#include "tailor/sha256.h"

namespace tailor::sync {
namespace {

// Orders events in time; ties go to the later line, so "latest" is well defined.
using Seq = std::pair<int64_t, uint64_t>;

struct UserState {
  std::map<int32_t, double> categories, brands;                  // snapshot index -> weight
  std::map<std::pair<int32_t, uint32_t>, double> attributes;     // (attribute, dict code) -> weight
  std::vector<double> embedding;
  std::unordered_map<uint32_t, Seq> viewed, bought;              // item -> newest occurrence
  bool has_consent = false, has_identify = false;
  Seq consent_at{}, identify_at{};
  std::vector<std::string> consent, segments;
  std::string account;
  int64_t updated_at = 0;
};

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
      : snap_(snap), items_(snap.items()), now_(now), half_life_s_(half_life_days * 86400.0) {
    tenant_ = std::string(sv(snap.root().tenant()->id()));
  }

  // Applies one valid event; returns false when it names an item the snapshot lacks.
  bool apply(const Event& e);
  std::map<std::string, UserState>& users() { return users_; }

 private:
  void interact(UserState& u, uint32_t item, double w);

  const Snapshot& snap_;
  const fb::Items& items_;
  int64_t now_;
  double half_life_s_;
  std::string tenant_;
  std::map<std::string, UserState> users_;  // by user_hash: sorted output for free
};

bool Aggregator::apply(const Event& e) {
  const bool interaction = e.type == EventType::kView || e.type == EventType::kCart || e.type == EventType::kPurchase;
  int32_t item = -1;
  if (interaction) {
    item = snap_.find_item(e.item);
    if (item < 0) return false;
  }
  UserState& u = users_[user_hash(tenant_, e.user)];
  u.updated_at = std::max(u.updated_at, e.ts);
  const Seq seq{e.ts, e.line};
  switch (e.type) {
    case EventType::kConsent:
      if (!u.has_consent || seq > u.consent_at) {
        u.has_consent = true;
        u.consent_at = seq;
        u.consent.clear();
        for (const std::string& p : e.purposes)
          if (std::find(u.consent.begin(), u.consent.end(), p) == u.consent.end()) u.consent.push_back(p);
      }
      return true;
    case EventType::kIdentify:
      if (!u.has_identify || seq > u.identify_at) {
        u.has_identify = true;
        u.identify_at = seq;
        u.account = e.account;
        u.segments = e.segments;
      }
      return true;
    default:
      break;
  }
  const double age = static_cast<double>(std::max<int64_t>(0, now_ - e.ts));
  interact(u, static_cast<uint32_t>(item), event_weight(e.type) * std::exp2(-age / half_life_s_));
  if (e.type == EventType::kView) note(u.viewed, static_cast<uint32_t>(item), seq, kMaxRecentViewed);
  if (e.type == EventType::kPurchase) note(u.bought, static_cast<uint32_t>(item), seq, kMaxRecentBought);
  return true;
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
    for (uint32_t k = 0; k < dim; ++k) u.embedding[k] += w * items_.embedding_f32()->Get(base + k);
  } else {
    const double scale = items_.embedding_scale()->Get(item);
    for (uint32_t k = 0; k < dim; ++k) u.embedding[k] += w * scale * items_.embedding_i8()->Get(base + k);
  }
}

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

std::vector<uint8_t> serialise(const Snapshot& snap, const std::string& hash, const UserState& u) {
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

  flatbuffers::FlatBufferBuilder fbb(1024);
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
  fb::FinishProfileBuffer(fbb, b.Finish());
  return std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

// Reads every event of the file; `visit` gets the valid ones.
void for_each_event(const ProfileOptions& o, ErrorList& errors, const std::function<void(const Event&)>& visit) {
  SourceSpec src{o.events_name.empty() ? o.events_path.string() : o.events_name, o.events_path, Format::kNdjson};
  Event e;
  read_records(src, errors, [&](const Record& r) {
    if (parse_event(r, e, errors)) visit(e);
    return !errors.full();
  });
}

}  // namespace

std::string user_hash(std::string_view tenant, std::string_view user) {
  Sha256 h;
  h.update(tenant);
  h.update(":");
  h.update(user);
  auto digest = h.finish();
  return to_hex(digest.data(), 16);
}

bool build_profiles(const Snapshot& snap, const ProfileOptions& o, const ProfileSink& sink, ProfileStats& stats,
                    ErrorList& errors) {
  stats = ProfileStats();
  if (!(o.half_life_days > 0) || !std::isfinite(o.half_life_days)) {
    errors.add("half-life must be a positive number of days");
    return false;
  }
  std::optional<int64_t> now = o.now;
  if (!now) {
    // A first pass finds the newest event (and every malformed line) without holding events.
    int64_t newest = 0;
    for_each_event(o, errors, [&](const Event& e) { newest = std::max(newest, e.ts); });
    if (!errors.empty()) return false;
    now = newest;
  }
  stats.now = *now;
  Aggregator agg(snap, *now, o.half_life_days);
  for_each_event(o, errors, [&](const Event& e) {
    ++stats.events;
    if (!agg.apply(e)) ++stats.skipped;
  });
  if (!errors.empty()) return false;
  for (auto& [hash, user] : agg.users()) {
    Status st = sink(hash, serialise(snap, hash, user));
    if (!st.ok()) {
      errors.add_io(st.message());
      return false;
    }
    ++stats.profiles;
  }
  return true;
}

}  // namespace tailor::sync
