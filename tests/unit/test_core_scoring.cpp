// Scoring kernels: accurate, and bit-for-bit reproducible because every runtime must agree.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "tailor/scoring.h"

using tailor::decay;
using tailor::dot_f32;
using tailor::dot_i8;
using tailor::exp2_det;

namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// The documented order: lane i % 4 accumulates a[i]*b[i] in index order, then (s0+s1)+(s2+s3).
// volatile keeps the compiler from reassociating or fusing anything.
template <class A>
float lane_order_reference(const A* a, const float* b, uint32_t n) {
  volatile float s[4] = {0, 0, 0, 0};
  for (uint32_t i = 0; i < n; ++i) {
    volatile float prod = static_cast<float>(a[i]) * b[i];
    s[i % 4] = s[i % 4] + prod;
  }
  volatile float lo = s[0] + s[1];
  volatile float hi = s[2] + s[3];
  return lo + hi;
}

struct Vectors {
  std::vector<float> a, b;
  std::vector<int8_t> q;
};

Vectors random_vectors(uint32_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::uniform_int_distribution<int> qi(-127, 127);
  Vectors v;
  for (uint32_t i = 0; i < n; ++i) {
    // Mixed magnitudes make summation order visible in the low bits.
    float scale = (i % 5 == 0) ? 1000.0f : 1.0f;
    v.a.push_back(u(rng) * scale);
    v.b.push_back(u(rng));
    v.q.push_back(static_cast<int8_t>(qi(rng)));
  }
  return v;
}

}  // namespace

TEST_CASE("scoring: dot_f32 and dot_i8 match a double-precision reference for n = 0..37") {
  for (uint32_t n = 0; n <= 37; ++n) {
    CAPTURE(n);
    Vectors v = random_vectors(n, 1000 + n);
    double ref_f = 0, ref_q = 0, mag_f = 0, mag_q = 0;
    for (uint32_t i = 0; i < n; ++i) {
      ref_f += double(v.a[i]) * double(v.b[i]);
      ref_q += double(v.q[i]) * double(v.b[i]);
      mag_f += std::fabs(double(v.a[i]) * double(v.b[i]));
      mag_q += std::fabs(double(v.q[i]) * double(v.b[i]));
    }
    // float32 accumulation error is bounded by ~n * eps * sum|a_i b_i|.
    const double eps = 1.2e-7 * (n + 1);
    CHECK(std::fabs(dot_f32(v.a.data(), v.b.data(), n) - ref_f) <= eps * mag_f + 1e-30);
    CHECK(std::fabs(dot_i8(v.q.data(), v.b.data(), n) - ref_q) <= eps * mag_q + 1e-30);
  }
  CHECK(dot_f32(nullptr, nullptr, 0) == 0.0f);
}

TEST_CASE("scoring: dot products use the 4-lane order bit for bit") {
  for (uint32_t n = 0; n <= 37; ++n) {
    CAPTURE(n);
    Vectors v = random_vectors(n, 77 + n);
    CHECK(bits(dot_f32(v.a.data(), v.b.data(), n)) == bits(lane_order_reference(v.a.data(), v.b.data(), n)));
    CHECK(bits(dot_i8(v.q.data(), v.b.data(), n)) == bits(lane_order_reference(v.q.data(), v.b.data(), n)));
  }
}

TEST_CASE("scoring: the lane order is observable (a sequential sum would differ)") {
  // 1e8 + 1 - 1e8 in float: order decides whether the 1 survives. Lane 0 gets 1e8 and -1e8,
  // lane 1 gets 1: (0 + 1) + (0 + 0) = 1. A left-to-right sum gives (1e8 + 1) - 1e8 = 0.
  const float a[] = {1e8f, 1.0f, 0.0f, 0.0f, -1e8f};
  const float one[] = {1, 1, 1, 1, 1};
  CHECK(dot_f32(a, one, 5) == 1.0f);
  const int8_t q[] = {100, 1, 0, 0, -100};
  const float b[] = {1e6f, 1.0f, 0, 0, 1e6f};
  CHECK(dot_i8(q, b, 5) == 1.0f);
}

TEST_CASE("scoring: exp2_det stays within 1e-6 relative error of std::exp2 on [-30, 10]") {
  double worst = 0;
  for (int i = 0; i <= 40'000; ++i) {
    float x = -30.0f + static_cast<float>(i) * 0.001f;
    double want = std::exp2(static_cast<double>(x));
    double rel = std::fabs(double(exp2_det(x)) - want) / want;
    worst = std::max(worst, rel);
  }
  CHECK(worst < 1e-6);
  // Integers are exact powers of two.
  for (int k = -30; k <= 10; ++k) CHECK(exp2_det(static_cast<float>(k)) == std::ldexp(1.0f, k));
}

TEST_CASE("scoring: exp2_det edge inputs") {
  CHECK(exp2_det(-200.0f) == 0.0f);
  CHECK(exp2_det(std::nanf("")) == 0.0f);
  CHECK(exp2_det(-INFINITY) == 0.0f);
  // Near the top of the float range the result saturates at a large finite value, never inf.
  CHECK(exp2_det(127.7f) == doctest::Approx(std::exp2(double(127.7f))).epsilon(1e-6));
  CHECK(std::isfinite(exp2_det(1000.0f)));
  CHECK(exp2_det(1000.0f) > 1e38f);
}

TEST_CASE("scoring: decay halves every half-life and is 1 without age or half-life") {
  const int64_t day = 86'400;
  CHECK(decay(30 * day, 30.0f) == doctest::Approx(0.5).epsilon(1e-6));
  CHECK(decay(60 * day, 30.0f) == doctest::Approx(0.25).epsilon(1e-6));
  CHECK(decay(15 * day, 30.0f) == doctest::Approx(std::sqrt(0.5)).epsilon(1e-6));
  CHECK(decay(7 * day, 7.0f) == doctest::Approx(0.5).epsilon(1e-6));
  CHECK(decay(0, 30.0f) == 1.0f);
  CHECK(decay(-5 * day, 30.0f) == 1.0f);
  CHECK(decay(30 * day, 0.0f) == 1.0f);
  CHECK(decay(30 * day, -1.0f) == 1.0f);
  CHECK(decay(30 * day, std::nanf("")) == 1.0f);
  // Monotone in age.
  CHECK(decay(1 * day, 30.0f) > decay(2 * day, 30.0f));
}
