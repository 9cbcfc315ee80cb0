// Deterministic randomness for bandit arms (docs/experiments.md): a seeded PRNG, a natural log,
// normal, gamma and beta samplers built only from IEEE basic operations and sqrt (correctly
// rounded everywhere), so the same seed draws the same bits natively and in every wasm build.
// No libm: its log/exp differ between glibc, wasi-libc and the browsers' libraries.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

namespace tailor {

// splitmix64: one 64-bit state, every seed valid (including 0).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform on [0, 1) with 53 random bits.
  double uniform();
  // Uniform on (0, 1): never 0 (safe for log).
  double uniform_open();

 private:
  uint64_t state_;
};

// FNV-1a 64-bit over the bytes of a, 0x1f, b, 0x1f, c: the seed of one visitor's draw for one
// experiment and snapshot version (the same request gives the same arm in every runtime).
uint64_t bandit_seed(std::string_view a, std::string_view b, std::string_view c);

// Natural logarithm for finite x > 0 (error below 2 ulp), from basic operations only.
double log_det(double x);

// Standard normal (Marsaglia's polar method; the second value is discarded).
double normal_sample(Rng& rng);
// Gamma(shape, 1) for shape >= 1 (Marsaglia-Tsang); a smaller shape is treated as 1.
double gamma_sample(Rng& rng, double shape);
// Beta(a, b) for a, b >= 1, as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b).
double beta_sample(Rng& rng, double a, double b);

// Bandit arms from per-arm statistics (successes <= trials, both >= 0) under a Beta(1, 1) prior.
// The greedy arm: highest posterior mean (s + 1) / (t + 2); ties go to the lowest index.
int greedy_arm(std::span<const double> successes, std::span<const double> trials);
// Thompson sampling: one Beta(s + 1, t - s + 1) draw per arm, the highest wins (lowest index on ties).
int thompson_arm(Rng& rng, std::span<const double> successes, std::span<const double> trials);
// P(arm) under Thompson sampling, estimated with `draws` seeded draws: out[k] = wins_k / draws.
void thompson_propensities(uint64_t seed, uint32_t draws, std::span<const double> successes,
                           std::span<const double> trials, std::span<double> out);
// Epsilon-greedy: with probability epsilon a uniformly chosen arm, else the greedy arm.
int epsilon_greedy_arm(Rng& rng, double epsilon, int greedy, int arms);
// P(arm) under epsilon-greedy: (1 - eps) + eps / K for the greedy arm, eps / K for the others.
double epsilon_greedy_propensity(double epsilon, int greedy, int arms, int arm);

}  // namespace tailor
