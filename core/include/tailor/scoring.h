// Scoring kernels: deterministic float32 math shared by every runtime (no FMA, fixed order).
#pragma once
#include <cstdint>

namespace tailor {

// Dot product with four partial sums combined as (s0 + s1) + (s2 + s3): the SIMD128 kernel and
// the scalar fallback perform the same float operations in the same order, so results match bit
// for bit across builds.
float dot_f32(const float* a, const float* b, uint32_t n);
// Same for an int8-quantised vector against a float vector (caller multiplies by the scale).
float dot_i8(const int8_t* q, const float* b, uint32_t n);
// True when the SIMD128 kernels were compiled in.
bool simd_enabled();

// 2^x from basic float ops only (no libm), identical in every runtime; relative error below 1e-6.
float exp2_det(float x);
// 2^(-age / half_life): 1 for age <= 0 or half_life <= 0.
float decay(int64_t age_seconds, float half_life_days);

}  // namespace tailor
