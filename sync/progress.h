// Progress: one self-redrawing line on stderr for long builds and pushes ("publish  [#####.....]
// 48% 12.1/25.0 MiB 3/7 chunks"). Drawn only when enabled (by default: stderr is a terminal), at
// most ~10 times a second, and erased by finish() so summaries print on a clean line.
#pragma once
#include <cstdint>
#include <string>

namespace tailor::sync {

class Progress {
 public:
  enum class Unit { kCount, kBytes };
  // `total` 0 = unknown (shows the count only). `enabled` defaults to stderr_is_tty().
  Progress(std::string label, uint64_t total, Unit unit = Unit::kCount, int enabled = -1);
  ~Progress() { finish(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(uint64_t n);          // done += n
  void set(uint64_t done);       // done = n
  void set_note(std::string note);  // short text after the bar ("chunk 3/7")
  void finish();                 // erases the line (idempotent)
  bool enabled() const { return enabled_; }
  uint64_t done() const { return done_; }

  // The line as drawn (without "\r" and padding), for tests.
  std::string render(int width = 30) const;

 private:
  void draw(bool force);
  std::string label_, note_;
  uint64_t total_, done_ = 0;
  Unit unit_;
  bool enabled_, drawn_ = false;
  int64_t last_ns_ = 0;
};

// "1.5 MiB", "812 B": for progress lines and summaries.
std::string human_bytes(uint64_t bytes);

}  // namespace tailor::sync
