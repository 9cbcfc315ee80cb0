#include "progress.h"

#include <cstdio>

#include "cli_util.h"

namespace tailor::sync {

std::string human_bytes(uint64_t bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

Progress::Progress(std::string label, uint64_t total, Unit unit, int enabled)
    : label_(std::move(label)), total_(total), unit_(unit),
      enabled_(enabled < 0 ? stderr_is_tty() : enabled != 0) {
  draw(true);
}

void Progress::add(uint64_t n) {
  done_ += n;
  draw(false);
}

void Progress::set(uint64_t done) {
  done_ = done;
  draw(false);
}

void Progress::set_note(std::string note) {
  note_ = std::move(note);
  draw(false);
}

std::string Progress::render(int width) const {
  auto amount = [&](uint64_t v) { return unit_ == Unit::kBytes ? human_bytes(v) : std::to_string(v); };
  std::string line = label_ + " ";
  if (total_ > 0) {
    uint64_t d = done_ > total_ ? total_ : done_;
    int filled = static_cast<int>(d * static_cast<uint64_t>(width) / total_);
    line += "[" + std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(width - filled), '.') + "] ";
    line += std::to_string(d * 100 / total_) + "% " + amount(done_) + "/" + amount(total_);
  } else {
    line += amount(done_);
  }
  if (!note_.empty()) line += " " + note_;
  return line;
}

void Progress::draw(bool force) {
  if (!enabled_) return;
  int64_t now = now_ns();
  if (!force && drawn_ && now - last_ns_ < 100'000'000 && done_ != total_) return;
  last_ns_ = now;
  std::string line = render();
  if (line.size() > 100) line.resize(100);
  std::fprintf(stderr, "\r%-100s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(stderr, "\r%-100s\r", "");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace tailor::sync
