// libFuzzer target: arbitrary request bytes against a real snapshot (TAILOR_FUZZ_SNAPSHOT).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tailor/engine.h"

static tailor::Engine* engine() {
  static tailor::Engine* e = [] {
    auto* en = new tailor::Engine();
    const char* path = std::getenv("TAILOR_FUZZ_SNAPSHOT");
    if (!path) { std::fprintf(stderr, "set TAILOR_FUZZ_SNAPSHOT to a .tsnap\n"); std::abort(); }
    std::ifstream f(path, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    std::string b = ss.str();
    if (!en->load_snapshot({reinterpret_cast<const uint8_t*>(b.data()), b.size()}).ok()) std::abort();
    return en;
  }();
  return e;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)engine()->decide({reinterpret_cast<const char*>(data), size}, {});
  return 0;
}
