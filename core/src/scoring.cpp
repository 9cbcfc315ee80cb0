#include "tailor/scoring.h"

#include <cstring>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace tailor {

#if defined(__wasm_simd128__)

bool simd_enabled() { return true; }

float dot_f32(const float* a, const float* b, uint32_t n) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4)
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  float s[4] = {wasm_f32x4_extract_lane(acc, 0), wasm_f32x4_extract_lane(acc, 1),
                wasm_f32x4_extract_lane(acc, 2), wasm_f32x4_extract_lane(acc, 3)};
  for (uint32_t l = 0; i < n; ++i, ++l) s[l] += a[i] * b[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

float dot_i8(const int8_t* q, const float* b, uint32_t n) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t qf = wasm_f32x4_make(float(q[i]), float(q[i + 1]), float(q[i + 2]), float(q[i + 3]));
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(qf, wasm_v128_load(b + i)));
  }
  float s[4] = {wasm_f32x4_extract_lane(acc, 0), wasm_f32x4_extract_lane(acc, 1),
                wasm_f32x4_extract_lane(acc, 2), wasm_f32x4_extract_lane(acc, 3)};
  for (uint32_t l = 0; i < n; ++i, ++l) s[l] += float(q[i]) * b[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

#else

bool simd_enabled() { return false; }

float dot_f32(const float* a, const float* b, uint32_t n) {
  float s[4] = {0, 0, 0, 0};
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) s[l] += a[i + l] * b[i + l];
  for (uint32_t l = 0; i < n; ++i, ++l) s[l] += a[i] * b[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

float dot_i8(const int8_t* q, const float* b, uint32_t n) {
  float s[4] = {0, 0, 0, 0};
  uint32_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int l = 0; l < 4; ++l) s[l] += float(q[i + l]) * b[i + l];
  for (uint32_t l = 0; i < n; ++i, ++l) s[l] += float(q[i]) * b[i];
  return (s[0] + s[1]) + (s[2] + s[3]);
}

#endif

float exp2_det(float x) {
  if (!(x > -126.0f)) return 0.0f;  // also NaN
  if (x >= 128.0f) x = 127.99f;
  // x = k + f, k the nearest integer, f in [-0.5, 0.5]
  float xr = x + 0.5f;
  int32_t k = static_cast<int32_t>(xr);
  if (static_cast<float>(k) > xr) --k;
  float f = x - static_cast<float>(k);
  // Taylor polynomial of 2^f = e^(f ln2), degree 6, Horner (truncation error < 2e-7 on |f| <= 0.5).
  float p = 1.5403530e-4f;
  p = p * f + 1.3333558e-3f;
  p = p * f + 9.6181291e-3f;
  p = p * f + 5.5504109e-2f;
  p = p * f + 2.4022651e-1f;
  p = p * f + 6.9314718e-1f;
  p = p * f + 1.0f;
  // Scale by 2^k through the exponent bits.
  int32_t e = k + 127;
  if (e <= 0) return 0.0f;
  // k = 128 (x in [127.5, 128)) has no exponent encoding; 2^f < 1 there, so fold one 2 into p.
  if (e >= 255) { p *= 2.0f; e = 254; }
  uint32_t bits = static_cast<uint32_t>(e) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

float decay(int64_t age_seconds, float half_life_days) {
  if (age_seconds <= 0 || !(half_life_days > 0.0f)) return 1.0f;
  float age_days = static_cast<float>(static_cast<double>(age_seconds) / 86400.0);
  return exp2_det(-age_days / half_life_days);
}

}  // namespace tailor
