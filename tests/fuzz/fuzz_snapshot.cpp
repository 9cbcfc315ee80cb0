// libFuzzer target: arbitrary bytes as a snapshot must be rejected or served, never crash.
#include <cstddef>
#include <cstdint>

#include "tailor/engine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tailor::Engine engine;
  if (!engine.load_snapshot({data, size}).ok()) return 0;
  const tailor::Snapshot* s = engine.snapshot();
  const auto* slots = s->root().slots();
  if (!slots) return 0;
  for (uint32_t i = 0; i < slots->size() && i < 4; ++i) {
    std::string req = "{\"slots\":[{\"id\":\"";
    req += tailor::sv(slots->Get(i)->id());
    req += "\",\"items\":[\"a\",\"b\"]}],\"exclude\":[\"x\"]}";
    (void)engine.decide(req, {});
  }
  return 0;
}
