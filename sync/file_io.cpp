#include "file_io.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tailor::sync {
namespace {

template <class Buffer>
Status read_into(const std::filesystem::path& path, uint64_t max_bytes, Buffer& out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Status(Code::kIoError, path.string() + ": is a directory");
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status(Code::kIoError, path.string() + ": cannot open: " + std::strerror(errno));
  out.clear();
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    if (out.size() + n > max_bytes) {
      std::fclose(f);
      return Status(Code::kLimitExceeded, path.string() + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.insert(out.end(), buf, buf + n);
  }
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Status(Code::kIoError, path.string() + ": read error");
  return Status::Ok();
}

}  // namespace

Status read_file(const std::filesystem::path& path, uint64_t max_bytes, std::vector<uint8_t>& out) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  if (!ec && size <= max_bytes) out.reserve(size);
  return read_into(path, max_bytes, out);
}

Status read_text_file(const std::filesystem::path& path, uint64_t max_bytes, std::string& out) {
  return read_into(path, max_bytes, out);
}

Status write_file_atomic(const std::filesystem::path& path, std::span<const uint8_t> bytes, bool durable) {
  std::error_code ec;
  std::filesystem::path parent = path.parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Status(Code::kIoError, parent.string() + ": cannot create directory: " + ec.message());
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Status(Code::kIoError, tmp.string() + ": cannot create: " + std::strerror(errno));
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = std::fflush(f) == 0 && ok;
  if (durable) ok = ::fsync(::fileno(f)) == 0 && ok;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    std::filesystem::remove(tmp, ec);
    return Status(Code::kIoError, path.string() + ": write failed: " + std::strerror(errno));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Status(Code::kIoError, path.string() + ": cannot rename into place: " + ec.message());
  }
  return Status::Ok();
}

}  // namespace tailor::sync
