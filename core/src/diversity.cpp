#include "tailor/diversity.h"

#include <algorithm>
#include <cmath>

#include "tailor/scoring.h"

namespace tailor {
namespace {

// The pipeline's ranking order: higher score first, ties by the candidate's source position.
struct ByScore {
  std::span<const float> score;
  bool operator()(uint32_t a, uint32_t b) const { return score[a] > score[b] || (score[a] == score[b] && a < b); }
};

// `order` sorted on demand: the first `sorted` entries are the best in rank order and every later
// entry ranks after them, so extending the prefix sorts only the remainder.
struct RankedPrefix {
  std::span<uint32_t> order;
  ByScore by;
  size_t sorted = 0;
  void ensure(size_t n) {
    n = std::min(n, order.size());
    if (n <= sorted) return;
    size_t target = std::max(n, std::min(order.size(), sorted * 2));
    std::partial_sort(order.begin() + sorted, order.begin() + target, order.end(), by);
    sorted = target;
  }
};

// Embedding access for similarity: f32 rows (unit length at build) or int8 rows.
struct Embeddings {
  uint32_t dim = 0;
  const float* f32 = nullptr;
  const int8_t* i8 = nullptr;
};

Embeddings embeddings_of(const Snapshot& snap) {
  Embeddings e;
  const fb::Items& it = snap.items();
  const uint64_t cells = uint64_t(snap.item_count()) * snap.embedding_dim();
  if (snap.embedding_dim() == 0 || cells == 0) return e;
  if (it.embedding_f32() && it.embedding_f32()->size() == cells) {
    e.f32 = it.embedding_f32()->data();
  } else if (it.embedding_i8() && it.embedding_i8()->size() == cells) {
    e.i8 = it.embedding_i8()->data();
  } else {
    return e;
  }
  e.dim = snap.embedding_dim();
  return e;
}

int32_t dot_q(const int8_t* a, const int8_t* b, uint32_t n) {
  int32_t s = 0;  // exact: |s| <= 1024 * 128 * 128
  for (uint32_t i = 0; i < n; ++i) s += int32_t(a[i]) * int32_t(b[i]);
  return s;
}

float similarity(const Embeddings& e, uint32_t a, uint32_t b) {
  if (e.dim == 0) return 0.0f;
  if (e.f32) return dot_f32(e.f32 + uint64_t(a) * e.dim, e.f32 + uint64_t(b) * e.dim, e.dim);
  const int8_t* qa = e.i8 + uint64_t(a) * e.dim;
  const int8_t* qb = e.i8 + uint64_t(b) * e.dim;
  const int32_t na = dot_q(qa, qa, e.dim), nb = dot_q(qb, qb, e.dim);
  if (na == 0 || nb == 0) return 0.0f;
  return static_cast<float>(dot_q(qa, qb, e.dim)) /
         (std::sqrt(static_cast<float>(na)) * std::sqrt(static_cast<float>(nb)));
}

}  // namespace

float item_similarity(const Snapshot& snap, uint32_t a, uint32_t b) { return similarity(embeddings_of(snap), a, b); }

size_t diversify(const Snapshot& snap, const fb::Diversity& d, std::span<const uint32_t> cand,
                 std::span<const float> score, std::span<uint32_t> order, std::span<const uint32_t> pinned,
                 size_t places, Arena& arena, std::span<uint32_t> picks, std::span<DiversityNote> notes,
                 DiversityStats& stats) {
  const fb::Snapshot& root = snap.root();
  const fb::Items& it = snap.items();
  const int32_t* brand = it.brand() ? it.brand()->data() : nullptr;
  const int32_t* category = it.category() ? it.category()->data() : nullptr;
  const uint32_t max_brand = d.max_per_brand(), max_category = d.max_per_category();
  auto brand_count = arena.zeroed<uint32_t>(max_brand && brand && root.brands() ? root.brands()->size() : 0);
  auto category_count =
      arena.zeroed<uint32_t>(max_category && category && root.categories() ? root.categories()->size() : 0);
  // A categorical custom attribute's codes (0xFFFFFFFF: no value, never capped).
  const fb::Attribute* cap_attr = nullptr;
  if (d.cap_attribute() >= 0 && d.max_per_attribute() && it.attributes() &&
      static_cast<uint32_t>(d.cap_attribute()) < it.attributes()->size())
    cap_attr = it.attributes()->Get(static_cast<uint32_t>(d.cap_attribute()));
  const uint32_t* codes = cap_attr && cap_attr->codes() ? cap_attr->codes()->data() : nullptr;
  const uint32_t max_attribute = d.max_per_attribute();
  auto attribute_count = arena.zeroed<uint32_t>(codes && cap_attr->dict() ? cap_attr->dict()->size() : 0);
  stats.attribute_cap = d.cap_attribute() >= 0;
  auto attribute_of = [&](uint32_t item) -> int64_t {
    return attribute_count.empty() || codes[item] >= attribute_count.size() ? -1 : int64_t(codes[item]);
  };
  auto brand_of = [&](uint32_t item) { return brand_count.empty() ? -1 : brand[item]; };
  auto category_of = [&](uint32_t item) { return category_count.empty() ? -1 : category[item]; };
  auto count = [&](uint32_t item) {
    if (int32_t b = brand_of(item); b >= 0) ++brand_count[b];
    if (int32_t c = category_of(item); c >= 0) ++category_count[c];
    if (int64_t a = attribute_of(item); a >= 0) ++attribute_count[a];
  };
  auto over_cap = [&](uint32_t item) {
    if (int32_t b = brand_of(item); b >= 0 && brand_count[b] >= max_brand) return OverCap::kBrand;
    if (int32_t c = category_of(item); c >= 0 && category_count[c] >= max_category) return OverCap::kCategory;
    if (int64_t a = attribute_of(item); a >= 0 && attribute_count[a] >= max_attribute) return OverCap::kAttribute;
    return OverCap::kNone;
  };
  for (uint32_t p : pinned) count(p);

  RankedPrefix ranked{order, ByScore{score}};
  const size_t m = order.size();
  const Embeddings emb = embeddings_of(snap);
  const size_t window = emb.dim && d.mmr_window() ? std::min<size_t>(d.mmr_window(), m) : 0;
  ranked.ensure(std::max(window, places));

  // MMR state over the window (the best `window` candidates by score).
  const float lambda = d.mmr_lambda();
  auto norm = arena.alloc<float>(window);
  auto max_sim = arena.alloc<float>(window);
  auto state = arena.zeroed<uint8_t>(window);  // 0 open, 1 chosen, 2 over a cap
  bool any_chosen = !pinned.empty();
  if (window) {
    const float hi = score[order[0]], lo = score[order[window - 1]];
    for (size_t w = 0; w < window; ++w) {
      norm[w] = hi > lo ? (score[order[w]] - lo) / (hi - lo) : 1.0f;
      float best = 0.0f;
      for (size_t p = 0; p < pinned.size(); ++p) {
        float s = similarity(emb, cand[order[w]], pinned[p]);
        if (p == 0 || s > best) best = s;
      }
      max_sim[w] = best;
    }
  }

  // Over-cap candidates in the order the caps passed them over (demoted in that order).
  auto blocked = arena.alloc<uint32_t>(m);
  auto blocked_why = arena.alloc<OverCap>(m);
  size_t nblocked = 0;
  size_t n = 0, open_in_window = window, next = window;
  while (n < places) {
    size_t pos;
    bool by_mmr = false;
    float mmr_best = 0.0f;
    if (open_in_window > 0) {
      pos = window;
      for (size_t w = 0; w < window; ++w) {
        if (state[w]) continue;
        const float v = lambda * norm[w] - (1.0f - lambda) * (any_chosen ? max_sim[w] : 0.0f);
        if (pos == window || v > mmr_best) { pos = w; mmr_best = v; }
      }
      --open_in_window;
      by_mmr = true;
    } else {
      ranked.ensure(next + 1);
      if (next >= m) break;
      pos = next++;
    }
    const uint32_t item = cand[order[pos]];
    if (OverCap why = over_cap(item); why != OverCap::kNone) {
      if (by_mmr) state[pos] = 2;
      ++(why == OverCap::kBrand ? stats.capped_brand
         : why == OverCap::kCategory ? stats.capped_category : stats.capped_attribute);
      blocked[nblocked] = static_cast<uint32_t>(pos);
      blocked_why[nblocked++] = why;
      continue;
    }
    DiversityNote note;
    note.score_order = static_cast<uint32_t>(pos);
    if (by_mmr) {
      state[pos] = 1;
      note.mmr = true;
      note.similarity = any_chosen ? max_sim[pos] : 0.0f;
      note.penalty = (1.0f - lambda) * note.similarity;
    }
    picks[n] = order[pos];
    notes[n++] = note;
    count(item);
    const bool first = !any_chosen;
    any_chosen = true;
    if (by_mmr)  // the new pick is now among the chosen: refresh the open candidates' similarity
      for (size_t w = 0; w < window; ++w)
        if (!state[w]) {
          const float s = similarity(emb, cand[order[w]], item);
          if (first || s > max_sim[w]) max_sim[w] = s;
        }
  }
  // Over-cap candidates: after every within-cap one (demote), or not at all (drop).
  for (size_t b = 0; b < nblocked; ++b) {
    if (d.drop_over_cap() || n >= places) {
      if (d.drop_over_cap()) ++stats.dropped;
      continue;
    }
    DiversityNote note;
    note.score_order = blocked[b];
    note.over_cap = blocked_why[b];
    picks[n] = order[blocked[b]];
    notes[n++] = note;
    ++stats.demoted;
  }
  return n;
}

void write_diversity_note(JsonWriter& w, const DiversityNote& n, uint32_t rank) {
  if (n.over_cap == OverCap::kNone && n.score_rank == rank) return;
  w.key("diversity");
  w.begin_object();
  w.key("score_rank"); w.integer(n.score_rank);
  if (n.over_cap != OverCap::kNone) {
    w.key("over_cap");
    w.string(n.over_cap == OverCap::kBrand ? "brand" : n.over_cap == OverCap::kCategory ? "category" : "attribute");
  }
  if (n.mmr) {
    w.key("similarity"); w.number(n.similarity);
    w.key("penalty"); w.number(n.penalty);
  }
  w.end_object();
}

void write_diversity_stats(JsonWriter& w, const DiversityStats& s) {
  w.key("diversity");
  w.begin_object();
  w.key("moved"); w.integer(s.moved);
  w.key("capped_brand"); w.integer(s.capped_brand);
  w.key("capped_category"); w.integer(s.capped_category);
  if (s.attribute_cap) { w.key("capped_attribute"); w.integer(s.capped_attribute); }
  w.key("demoted"); w.integer(s.demoted);
  w.key("dropped"); w.integer(s.dropped);
  w.end_object();
}

}  // namespace tailor
