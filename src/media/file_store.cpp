#include "media/file_store.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include <stdexcept>

namespace parley {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kRandomBytes = 16;  // 128 bits
constexpr std::size_t kEncodedLength = 22;

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

FileStore::FileStore(fs::path dir) : dir_(std::move(dir)), tmp_dir_(dir_ / ".incoming") {
  fs::create_directories(tmp_dir_);
  ::chmod(dir_.c_str(), 0700);
  ::chmod(tmp_dir_.c_str(), 0700);
  // Anything here belonged to an upload that never finished (the process died mid-upload).
  for (const auto& entry : fs::directory_iterator(tmp_dir_)) fs::remove(entry.path());
}

std::string FileStore::new_name(std::string_view extension) {
  unsigned char raw[kRandomBytes];
  randombytes_buf(raw, sizeof raw);
  char encoded[sodium_base64_ENCODED_LEN(kRandomBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(encoded) + std::string(extension);
}

bool FileStore::valid_name(std::string_view name) {
  if (name.size() < kEncodedLength) return false;
  for (std::size_t i = 0; i < kEncodedLength; ++i) {
    if (!is_name_char(name[i])) return false;
  }
  const auto ext = name.substr(kEncodedLength);
  if (ext.empty()) return true;
  if (ext.size() < 2 || ext.size() > 9 || ext[0] != '.') return false;
  for (char c : ext.substr(1)) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::optional<fs::path> FileStore::path_of(std::string_view name) const {
  if (!valid_name(name)) return std::nullopt;
  return dir_ / std::string(name);
}

fs::path FileStore::temp_path() const {
  return tmp_dir_ / new_name(".part");
}

void FileStore::commit(const fs::path& temp, std::string_view name) const {
  const auto target = path_of(name);
  if (!target) throw std::invalid_argument("not a stored-file name");
  fs::rename(temp, *target);
  sync_dir();
}

void FileStore::sync_file(const fs::path& path) const {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open for fsync");
  ::fsync(fd);
  ::close(fd);
}

// A rename is durable only once the directory itself is on disk: without this a power loss
// could lose a file that an acknowledged message already refers to.
void FileStore::sync_dir() const {
  sync_file(dir_);
}

}  // namespace parley
