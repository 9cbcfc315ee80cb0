#include "publish_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "file_io.h"

namespace tailor::sync {
namespace fs = std::filesystem;

std::string KeyLayout::manifest(std::string_view tenant) const {
  if (kind_ == Kind::kDir) return prefix_ + std::string(tenant) + "/manifest.json";
  return prefix_ + "manifest:" + std::string(tenant);
}

std::string KeyLayout::chunks_prefix(std::string_view tenant) const {
  if (kind_ == Kind::kDir) return prefix_ + std::string(tenant) + "/versions/";
  return prefix_ + "snapshot:" + std::string(tenant) + ":";
}

std::string KeyLayout::chunk(std::string_view tenant, std::string_view version, uint32_t i) const {
  if (kind_ == Kind::kDir) return chunks_prefix(tenant) + std::string(version) + "/snapshot." + std::to_string(i);
  return chunks_prefix(tenant) + std::string(version) + ":" + std::to_string(i);
}

std::string KeyLayout::profile(std::string_view tenant, std::string_view user_hash) const {
  if (kind_ == Kind::kDir) return prefix_ + std::string(tenant) + "/profiles/" + std::string(user_hash) + ".tprof";
  return prefix_ + "profile:" + std::string(tenant) + ":" + std::string(user_hash);
}

std::string KeyLayout::lock(std::string_view tenant) const {
  if (kind_ == Kind::kDir) return prefix_ + std::string(tenant) + "/.publish.lock";
  return prefix_ + "lock:" + std::string(tenant);
}

Status Store::create(const std::string& key, std::span<const uint8_t> value, bool& created) {
  std::vector<uint8_t> existing;
  bool found = false;
  created = false;
  Status st = get(key, 1 << 20, existing, found);
  if (!st.ok() || found) return st;
  st = put(key, value);
  created = st.ok();
  return st;
}

std::optional<std::string> KeyLayout::version_of(std::string_view tenant, std::string_view key) const {
  const std::string p = chunks_prefix(tenant);
  if (key.substr(0, p.size()) != p) return std::nullopt;
  key.remove_prefix(p.size());
  size_t end = key.find(kind_ == Kind::kDir ? '/' : ':');
  if (end == 0 || end == std::string_view::npos) return std::nullopt;
  return std::string(key.substr(0, end));
}

Status Store::put_many(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& values) {
  for (const auto& [key, value] : values) {
    Status st = put(key, value);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

namespace {

class DirStore final : public Store {
 public:
  explicit DirStore(std::string root) : root_(std::move(root)), layout_(KeyLayout::Kind::kDir, "") {}
  std::string describe() const override { return "dir " + root_.string(); }
  const KeyLayout& layout() const override { return layout_; }

  Status put(const std::string& key, std::span<const uint8_t> value) override {
    return write_file_atomic(root_ / key, value);
  }

  Status create(const std::string& key, std::span<const uint8_t> value, bool& created) override {
    created = false;
    const fs::path p = root_ / key;
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    if (ec) return Status(Code::kIoError, p.parent_path().string() + ": cannot create: " + ec.message());
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      if (errno == EEXIST) return Status::Ok();
      return Status(Code::kIoError, p.string() + ": cannot create: " + std::strerror(errno));
    }
    size_t done = 0;
    while (done < value.size()) {
      const ssize_t n = ::write(fd, value.data() + done, value.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        ::unlink(p.c_str());
        return Status(Code::kIoError, p.string() + ": cannot write: " + why);
      }
      done += static_cast<size_t>(n);
    }
    ::fsync(fd);
    ::close(fd);
    created = true;
    return Status::Ok();
  }

  Status get(const std::string& key, uint64_t max_bytes, std::vector<uint8_t>& out, bool& found) override {
    std::error_code ec;
    found = fs::exists(root_ / key, ec);
    out.clear();
    if (!found) return Status::Ok();
    return read_file(root_ / key, max_bytes, out);
  }

  Status remove(const std::string& key) override {
    std::error_code ec;
    fs::path p = root_ / key;
    fs::remove(p, ec);
    if (ec) return Status(Code::kIoError, p.string() + ": cannot remove: " + ec.message());
    // Drop directories left empty (a garbage-collected version's folder), up to the root.
    for (fs::path dir = p.parent_path(); dir != root_ && dir.has_relative_path() && fs::is_empty(dir, ec) && !ec;
         dir = dir.parent_path())
      if (!fs::remove(dir, ec)) break;
    return Status::Ok();
  }

  Status list(const std::string& prefix, size_t max_keys, std::vector<std::string>& keys) override {
    keys.clear();
    // The prefix's directory part is walked; file names are then matched against the rest.
    fs::path base = root_ / prefix.substr(0, prefix.rfind('/') == std::string::npos ? 0 : prefix.rfind('/') + 1);
    std::error_code ec;
    if (!fs::exists(base, ec)) return Status::Ok();
    for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      std::string rel = fs::relative(it->path(), root_, ec).generic_string();
      if (ec) break;
      if (rel.compare(0, prefix.size(), prefix) != 0 || rel.find(".tmp-") != std::string::npos) continue;
      if (keys.size() >= max_keys)
        return Status(Code::kLimitExceeded, base.string() + ": more than " + std::to_string(max_keys) + " files");
      keys.push_back(rel);
    }
    if (ec) return Status(Code::kIoError, base.string() + ": cannot list: " + ec.message());
    return Status::Ok();
  }

 private:
  fs::path root_;
  KeyLayout layout_;
};

}  // namespace

std::unique_ptr<Store> make_dir_store(const std::string& root) { return std::make_unique<DirStore>(root); }

}  // namespace tailor::sync
