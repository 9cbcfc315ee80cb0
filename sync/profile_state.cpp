#include "profile_state.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

#include "file_io.h"
#include "json_parse.h"
#include "tailor/sha256.h"

namespace tailor::sync {
namespace {

static_assert(std::endian::native == std::endian::little, "state files are little-endian");

constexpr char kMagic[4] = {'T', 'P', 'S', 'T'};
// Partition file versions: 2 appends the visitor's traits; 1 (without them) is still read.
constexpr uint32_t kStateVersion = 2;
constexpr uint32_t kManifestVersion = 1;
constexpr uint64_t kMaxStateFile = uint64_t(4) << 30;

template <class T>
void put(std::string& b, T v) {
  b.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put_str(std::string& b, std::string_view s) {
  put<uint32_t>(b, static_cast<uint32_t>(s.size()));
  b.append(s);
}

// Bounds-checked reads over one file's bytes; `ok` turns false at the first overrun.
struct In {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;
  template <class T>
  T get() {
    T v{};
    if (static_cast<size_t>(end - p) < sizeof v) {
      ok = false;
      p = end;
      return v;
    }
    std::memcpy(&v, p, sizeof v);
    p += sizeof v;
    return v;
  }
  std::string str() {
    uint32_t n = get<uint32_t>();
    if (!ok || static_cast<size_t>(end - p) < n) {
      ok = false;
      p = end;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(p), n);
    p += n;
    return s;
  }
  // A count that cannot exceed what is left (each element takes at least `min_size` bytes).
  uint32_t count(size_t min_size) {
    uint32_t n = get<uint32_t>();
    if (ok && static_cast<uint64_t>(n) * min_size > static_cast<uint64_t>(end - p)) ok = false;
    return ok ? n : 0;
  }
};

void put_recent(std::string& b, const Snapshot& snap, const std::unordered_map<uint32_t, Seq>& m) {
  std::vector<std::pair<Seq, uint32_t>> v;
  for (auto& [item, seq] : m) v.push_back({seq, item});
  std::sort(v.begin(), v.end(), std::greater<>());
  put<uint32_t>(b, static_cast<uint32_t>(v.size()));
  for (auto& [seq, item] : v) {
    put_str(b, sv(snap.items().ids()->Get(item)));
    put<int64_t>(b, seq.first);
    put<uint64_t>(b, seq.second);
  }
}

}  // namespace

uint32_t shard_of(const UserHash& h, uint32_t shard_count) {
  uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = (v << 8) | h[static_cast<size_t>(i)];
  return static_cast<uint32_t>(v % shard_count);
}

std::string hash_hex(const UserHash& h) { return to_hex(h.data(), h.size()); }

void UserState::decay(double f) {
  for (auto& [k, w] : categories) w *= f;
  for (auto& [k, w] : brands) w *= f;
  for (auto& [k, w] : attributes) w *= f;
  for (double& x : embedding) x *= f;
}

void StateWriter::add(const UserHash& hash, const UserState& u) {
  const fb::Snapshot& root = snap_.root();
  ++count_;
  buf_.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  put<int64_t>(buf_, u.updated_at);
  put<uint8_t>(buf_, static_cast<uint8_t>((u.has_consent ? 1 : 0) | (u.has_identify ? 2 : 0)));
  put<int64_t>(buf_, u.consent_at.first);
  put<uint64_t>(buf_, u.consent_at.second);
  put<int64_t>(buf_, u.identify_at.first);
  put<uint64_t>(buf_, u.identify_at.second);
  put<uint32_t>(buf_, static_cast<uint32_t>(u.consent.size()));
  for (auto& s : u.consent) put_str(buf_, s);
  put_str(buf_, u.account);
  put<uint32_t>(buf_, static_cast<uint32_t>(u.segments.size()));
  for (auto& s : u.segments) put_str(buf_, s);
  put<uint32_t>(buf_, static_cast<uint32_t>(u.categories.size()));
  for (auto& [c, w] : u.categories) {
    put_str(buf_, sv(root.categories()->Get(c)->id()));
    put<double>(buf_, w);
  }
  put<uint32_t>(buf_, static_cast<uint32_t>(u.brands.size()));
  for (auto& [b, w] : u.brands) {
    put_str(buf_, sv(root.brands()->Get(b)->id()));
    put<double>(buf_, w);
  }
  put<uint32_t>(buf_, static_cast<uint32_t>(u.attributes.size()));
  for (auto& [key, w] : u.attributes) {
    const fb::Attribute* at = snap_.items().attributes()->Get(key.first);
    put_str(buf_, sv(at->name()));
    put_str(buf_, sv(at->dict()->Get(key.second)));
    put<double>(buf_, w);
  }
  put<uint32_t>(buf_, static_cast<uint32_t>(u.embedding.size()));
  for (double x : u.embedding) put<double>(buf_, x);
  put_recent(buf_, snap_, u.viewed);
  put_recent(buf_, snap_, u.bought);
  put<uint32_t>(buf_, static_cast<uint32_t>(u.traits.size()));
  for (auto& [name, t] : u.traits) {
    put_str(buf_, name);
    put<uint8_t>(buf_, static_cast<uint8_t>(t.type));
    switch (t.type) {
      case AttrType::kNumber: put<float>(buf_, t.number); break;
      case AttrType::kCategorical: put_str(buf_, t.text); break;
      case AttrType::kTags:
        put<uint32_t>(buf_, static_cast<uint32_t>(t.tags.size()));
        for (auto& tag : t.tags) put_str(buf_, tag);
        break;
    }
  }
}

Status StateWriter::flush_to(const std::filesystem::path& path) {
  std::string header(kMagic, 4);
  put<uint32_t>(header, kStateVersion);
  put<uint32_t>(header, count_);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return Status(Code::kIoError, path.string() + ": cannot write");
  bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size() &&
            std::fwrite(buf_.data(), 1, buf_.size(), f) == buf_.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return Status(Code::kIoError, path.string() + ": write failed");
  written_ += header.size() + buf_.size();
  buf_.clear();
  count_ = 0;
  return Status::Ok();
}

ItemIndex::ItemIndex(const Snapshot& snap) {
  const auto* ids = snap.items().ids();
  map_.reserve(ids->size());
  for (uint32_t i = 0; i < ids->size(); ++i) map_.emplace(sv(ids->Get(i)), static_cast<int32_t>(i));
}

StateReader::StateReader(const Snapshot& snap) : snap_(snap), items_(snap), traits_(declared_traits(snap)) {
  const fb::Snapshot& root = snap.root();
  if (root.categories())
    for (uint32_t i = 0; i < root.categories()->size(); ++i)
      categories_.emplace(std::string(sv(root.categories()->Get(i)->id())), static_cast<int32_t>(i));
  if (root.brands())
    for (uint32_t i = 0; i < root.brands()->size(); ++i)
      brands_.emplace(std::string(sv(root.brands()->Get(i)->id())), static_cast<int32_t>(i));
  if (const auto* attrs = snap.items().attributes())
    for (uint32_t i = 0; i < attrs->size(); ++i)
      if (attrs->Get(i)->dict()) attributes_.emplace(std::string(sv(attrs->Get(i)->name())), static_cast<int32_t>(i));
}

bool StateReader::read(const std::filesystem::path& path, uint32_t shard_index, uint32_t shard_count,
                       std::map<UserHash, UserState>& users, ErrorList& errors) const {
  std::vector<uint8_t> bytes;
  Status st = read_file(path, kMaxStateFile, bytes);
  if (!st.ok()) {
    errors.add_io("previous state: " + st.message());
    return false;
  }
  In in{bytes.data(), bytes.data() + bytes.size()};
  // The magic as one 4-byte read: a per-byte loop into a char[4] made g++ 12 see writes past it
  // (-Wstringop-overflow) through the inlined overrun path of In::get.
  const uint32_t magic = in.get<uint32_t>();
  const uint32_t version = in.get<uint32_t>();
  const uint32_t count = in.count(16);
  if (!in.ok || std::memcmp(&magic, kMagic, 4) != 0 || version < 1 || version > kStateVersion) {
    errors.add(path.string() + ": not a profile state file (versions 1 to " + std::to_string(kStateVersion) + ")");
    return false;
  }
  const uint32_t dim = snap_.embedding_dim();
  const auto* items = snap_.items().attributes();
  for (uint32_t n = 0; n < count && in.ok; ++n) {
    UserHash h;
    for (uint8_t& b : h) b = in.get<uint8_t>();
    UserState u;
    u.updated_at = in.get<int64_t>();
    const uint8_t flags = in.get<uint8_t>();
    u.has_consent = flags & 1;
    u.has_identify = flags & 2;
    u.consent_at.first = in.get<int64_t>();
    u.consent_at.second = in.get<uint64_t>();
    u.identify_at.first = in.get<int64_t>();
    u.identify_at.second = in.get<uint64_t>();
    for (uint32_t k = 0, m = in.count(4); k < m; ++k) u.consent.push_back(in.str());
    u.account = in.str();
    for (uint32_t k = 0, m = in.count(4); k < m; ++k) u.segments.push_back(in.str());
    for (uint32_t k = 0, m = in.count(12); k < m; ++k) {
      std::string id = in.str();
      double w = in.get<double>();
      if (auto it = categories_.find(id); it != categories_.end()) u.categories[it->second] += w;
    }
    for (uint32_t k = 0, m = in.count(12); k < m; ++k) {
      std::string id = in.str();
      double w = in.get<double>();
      if (auto it = brands_.find(id); it != brands_.end()) u.brands[it->second] += w;
    }
    for (uint32_t k = 0, m = in.count(16); k < m; ++k) {
      std::string name = in.str(), value = in.str();
      double w = in.get<double>();
      auto it = attributes_.find(name);
      if (it == attributes_.end()) continue;
      const auto* dict = items->Get(static_cast<uint32_t>(it->second))->dict();
      uint32_t lo = 0, hi = dict->size();  // dictionaries are sorted
      while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (sv(dict->Get(mid)) < value) lo = mid + 1;
        else hi = mid;
      }
      if (lo < dict->size() && sv(dict->Get(lo)) == value) u.attributes[{it->second, lo}] += w;
    }
    const uint32_t edim = in.count(8);
    std::vector<double> e(edim);
    for (double& x : e) x = in.get<double>();
    if (edim == dim && dim > 0) u.embedding = std::move(e);
    for (auto* recent : {&u.viewed, &u.bought})
      for (uint32_t k = 0, m = in.count(20); k < m; ++k) {
        std::string id = in.str();
        Seq seq{in.get<int64_t>(), 0};
        seq.second = in.get<uint64_t>();
        int32_t item = items_.find(id);
        if (item >= 0) recent->emplace(static_cast<uint32_t>(item), seq);
      }
    // Traits (version 2): those the snapshot no longer declares, or declares with another type,
    // are dropped.
    for (uint32_t k = 0, m = version >= 2 ? in.count(5) : 0; k < m && in.ok; ++k) {
      std::string name = in.str();
      TraitValue t;
      const uint8_t type = in.get<uint8_t>();
      if (type > static_cast<uint8_t>(AttrType::kTags)) {
        in.ok = false;
        break;
      }
      t.type = static_cast<AttrType>(type);
      switch (t.type) {
        case AttrType::kNumber: t.number = in.get<float>(); break;
        case AttrType::kCategorical: t.text = in.str(); break;
        case AttrType::kTags:
          for (uint32_t g = 0, ng = in.count(4); g < ng; ++g) t.tags.push_back(in.str());
          break;
      }
      for (const TraitDecl& d : traits_)
        if (d.name == name && d.type == t.type) u.traits[name] = std::move(t);
    }
    if (in.ok && shard_of(h, shard_count) == shard_index) users[h] = std::move(u);
  }
  if (!in.ok || in.p != in.end) {
    errors.add(path.string() + ": profile state file is truncated or corrupt");
    return false;
  }
  return true;
}

std::filesystem::path shard_state_dir(const std::filesystem::path& out, uint32_t i, uint32_t n) {
  return out / "tailor-state" / ("shard-" + std::to_string(i) + "-of-" + std::to_string(n));
}

std::filesystem::path partition_file(const std::filesystem::path& shard_dir, uint32_t p) {
  char name[16];
  std::snprintf(name, sizeof name, "p%02x.bin", p);
  return shard_dir / name;
}

Status write_manifest(const std::filesystem::path& shard_dir, const StateManifest& m) {
  nlohmann::ordered_json j = {{"format", "tailor-profile-state"}, {"version", kManifestVersion},
                              {"tenant", m.tenant},            {"now", m.now},
                              {"half_life_days", m.half_life_days}, {"order_end", m.order_end},
                              {"shard", {m.shard_index, m.shard_count}}, {"partitions", kPartitions},
                              {"profiles", m.profiles}};
  std::string text = dump_json(j, 2) + "\n";
  return write_file_atomic(shard_dir / "manifest.json",
                           {reinterpret_cast<const uint8_t*>(text.data()), text.size()}, /*durable=*/true);
}

bool find_previous_state(const std::filesystem::path& dir, uint32_t shard_index, uint32_t shard_count,
                         PreviousState& out, ErrorList& errors) {
  const std::filesystem::path root = dir / "tailor-state";
  std::error_code ec;
  // shard_count -> index -> (dir, manifest)
  std::map<uint32_t, std::map<uint32_t, std::pair<std::filesystem::path, StateManifest>>> found;
  for (auto it = std::filesystem::directory_iterator(root, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    const std::filesystem::path mf = it->path() / "manifest.json";
    if (!it->is_directory() || !std::filesystem::exists(mf)) continue;
    std::string text, why;
    nlohmann::json j;
    Status st = read_text_file(mf, 1 << 20, text);
    StateManifest m;
    bool ok = st.ok() && parse_json(text, j, why) && j.is_object() && j.value("format", "") == "tailor-profile-state";
    if (ok && j.value("version", 0u) != kManifestVersion) ok = false;
    if (ok && j.value("partitions", 0u) != kPartitions) ok = false;
    if (ok) {
      m.tenant = j.value("tenant", "");
      m.now = j.value("now", int64_t{0});
      m.half_life_days = j.value("half_life_days", 0.0);
      m.order_end = j.value("order_end", uint64_t{0});
      const auto& s = j["shard"];
      ok = s.is_array() && s.size() == 2 && s[0].is_number_unsigned() && s[1].is_number_unsigned();
      if (ok) {
        m.shard_index = s[0].get<uint32_t>();
        m.shard_count = s[1].get<uint32_t>();
        ok = m.shard_count > 0 && m.shard_index < m.shard_count;
      }
    }
    if (!ok) {
      errors.add(mf.string() + ": not a profile state manifest of this version");
      return false;
    }
    // Only committed shard directories count (not a half-written ".tmp" one).
    if (it->path().filename() != shard_state_dir(dir, m.shard_index, m.shard_count).filename()) continue;
    found[m.shard_count][m.shard_index] = {it->path(), m};
  }
  if (found.empty()) {
    errors.add(dir.string() + ": no profile state (tailor-state/) from an earlier `tailor profiles` run");
    return false;
  }
  // The same sharding: just our shard. Otherwise a complete earlier sharding, filtered on read.
  out = PreviousState();
  if (auto same = found.find(shard_count); same != found.end() && same->second.count(shard_index)) {
    out.manifest = same->second[shard_index].second;
    out.shard_dirs.push_back(same->second[shard_index].first);
    return true;
  }
  for (auto& [count, shards] : found) {
    if (shards.size() != count) continue;
    for (auto& [index, entry] : shards) {
      const StateManifest& m = entry.second;
      if (out.shard_dirs.empty()) out.manifest = m;
      else if (m.now != out.manifest.now || m.half_life_days != out.manifest.half_life_days ||
               m.order_end != out.manifest.order_end || m.tenant != out.manifest.tenant) {
        errors.add(entry.first.string() + ": shard state from a different build than its siblings");
        return false;
      }
      out.shard_dirs.push_back(entry.first);
    }
    return true;
  }
  std::string have;
  for (auto& [count, shards] : found)
    have += (have.empty() ? "" : ", ") + std::to_string(shards.size()) + " of " + std::to_string(count) + " shards";
  errors.add(dir.string() + ": previous state is incomplete for shard " + std::to_string(shard_index) + "/" +
             std::to_string(shard_count) + " (found " + have + ")");
  return false;
}

}  // namespace tailor::sync
