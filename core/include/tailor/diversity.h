// Diversity stage of a slot (docs/config.md#diversity): brand/category caps and MMR re-ranking on
// item embeddings, applied to the unpinned candidates after scoring, rules and pins. Pinned items
// keep their places and count toward the caps and the similarity. Deterministic float32: the
// same inputs give the same picks natively and in every wasm build (SIMD or scalar).
#pragma once
#include <cstdint>
#include <span>

#include "tailor/arena.h"
#include "tailor/json_writer.h"
#include "tailor/snapshot.h"

namespace tailor {

enum class OverCap : uint8_t { kNone = 0, kBrand = 1, kCategory = 2, kAttribute = 3 };

// What the diversity stage did to one item it placed.
struct DiversityNote {
  uint32_t score_order = 0;           // 0-based place among the unpinned candidates by score
  uint32_t score_rank = 0;            // 1-based rank the item would have had without diversity (pipeline)
  OverCap over_cap = OverCap::kNone;  // placed after every within-cap item because of this cap
  bool mmr = false;                   // chosen by MMR: similarity and penalty are meaningful
  float similarity = 0.0f;            // max cosine to the items chosen before it (pins included)
  float penalty = 0.0f;               // (1 - lambda) * similarity
};

// Per-slot counts for the decision.
struct DiversityStats {
  uint32_t capped_brand = 0;     // candidates the brand cap passed over
  uint32_t capped_category = 0;  // candidates the category cap passed over
  uint32_t capped_attribute = 0; // candidates the attribute cap passed over
  bool attribute_cap = false;    // the slot caps a custom attribute (capped_attribute is written)
  uint32_t demoted = 0;          // of those, shown after the within-cap items
  uint32_t dropped = 0;          // of those, not shown because the slot drops over-cap items
  uint32_t moved = 0;            // shown items whose rank differs from their score rank (pipeline)
};

// Chooses up to `places` unpinned candidates in output order.
//  cand, score: the slot's candidates (item indices) and final scores, parallel.
//  order: positions into `cand` of the unpinned candidates, any order; sorted in place as far as needed.
//  pinned: item indices of the pins placed in the list.
//  picks, notes: out, at least `places` long: positions into `cand` and what diversity did.
// Returns how many were chosen (fewer than `places` only when candidates run out or are dropped).
size_t diversify(const Snapshot& snap, const fb::Diversity& d, std::span<const uint32_t> cand,
                 std::span<const float> score, std::span<uint32_t> order, std::span<const uint32_t> pinned,
                 size_t places, Arena& arena, std::span<uint32_t> picks, std::span<DiversityNote> notes,
                 DiversityStats& stats);

// Cosine similarity of two items' embeddings; 0 when the snapshot has none or either is zero.
// int8 embeddings use an exact integer dot product and norms (the per-item scale cancels).
float item_similarity(const Snapshot& snap, uint32_t a, uint32_t b);

// The item's explain "diversity" member, written only when the item moved or went over a cap.
void write_diversity_note(JsonWriter& w, const DiversityNote& n, uint32_t rank);
// The slot's "diversity" member.
void write_diversity_stats(JsonWriter& w, const DiversityStats& s);

}  // namespace tailor
