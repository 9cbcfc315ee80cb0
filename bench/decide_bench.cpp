// Native decision benchmark: loads a snapshot (and optional profile), decides one request N times
// and prints per-decision latency percentiles as JSON. Not a test: numbers go to
// docs/performance.md via bench/run.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tailor/engine.h"

static std::string slurp(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) { std::fprintf(stderr, "cannot read %s\n", path); std::exit(4); }
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: decide_bench SNAPSHOT REQUEST ITERATIONS [PROFILE]\n");
    return 2;
  }
  std::string snap = slurp(argv[1]), req = slurp(argv[2]);
  int iters = std::atoi(argv[3]);
  std::string prof = argc > 4 ? slurp(argv[4]) : std::string();
  tailor::Engine engine;
  auto t0 = std::chrono::steady_clock::now();
  auto st = engine.load_snapshot({reinterpret_cast<const uint8_t*>(snap.data()), snap.size()});
  auto load_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  if (!st.ok()) { std::fprintf(stderr, "%s\n", st.message().c_str()); return 3; }
  std::vector<double> us;
  us.reserve(iters);
  std::span<const uint8_t> p{reinterpret_cast<const uint8_t*>(prof.data()), prof.size()};
  for (int i = 0; i < iters; ++i) {
    auto a = std::chrono::steady_clock::now();
    st = engine.decide(req, p);
    auto b = std::chrono::steady_clock::now();
    if (!st.ok()) { std::fprintf(stderr, "%s\n", st.message().c_str()); return 1; }
    us.push_back(std::chrono::duration<double, std::micro>(b - a).count());
  }
  if (us.empty()) {  // baseline run (load only), used to subtract start-up cost in callgrind
    std::printf("{\"runtime\":\"native\",\"iterations\":0,\"load_us\":%.1f}\n", load_us);
    return 0;
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double q) { return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))]; };
  double sum = 0;
  for (double v : us) sum += v;
  std::printf("{\"runtime\":\"native\",\"items\":%u,\"iterations\":%d,\"load_us\":%.1f,\"mean_us\":%.1f,"
              "\"p50_us\":%.1f,\"p99_us\":%.1f,\"output_bytes\":%zu}\n",
              engine.snapshot()->item_count(), iters, load_us, sum / us.size(), pct(0.5), pct(0.99),
              engine.output().size());
  return 0;
}
