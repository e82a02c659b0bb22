#include "auth/secret.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "auth/sodium.hpp"

namespace parley {

namespace {

constexpr const char* kFileName = "jwt_secret";
constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kMinSecretChars = 32;

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path, int err) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(err));
}

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// nullopt when the file does not exist.
std::optional<std::string> read_secret(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    fail("cannot open", path, errno);
  }
  std::string content;
  char buffer[512];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail("cannot read", path, err);
    }
    content.append(buffer, static_cast<std::size_t>(n));
    if (content.size() > 64 * 1024) break;  // not a secret file; the length check below decides
  }
  ::close(fd);
  std::string secret = trim(std::move(content));
  if (secret.size() < kMinSecretChars) {
    throw std::runtime_error("JWT secret in " + path.string() +
                             " is shorter than 32 bytes; delete the file to generate a new one");
  }
  return secret;
}

void write_all(int fd, const std::string& data, const std::filesystem::path& path) {
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno);
    }
    written += static_cast<std::size_t>(n);
  }
}

void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // durability of the directory entry is best effort
  ::fsync(fd);
  ::close(fd);
}

// Writes a fresh secret to a private temporary file and links it into place. link() fails
// with EEXIST if another process got there first: then its secret wins and ours is dropped.
void create_secret(const std::filesystem::path& dir, const std::filesystem::path& path) {
  const std::filesystem::path temp = dir / (std::string(kFileName) + ".tmp." + random_hex(8));
  // O_EXCL + 0600: the file never exists with wider permissions, not even for an instant.
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) fail("cannot create", temp, errno);
  try {
    write_all(fd, random_hex(kSecretBytes) + "\n", temp);
    if (::fsync(fd) != 0) fail("cannot fsync", temp, errno);
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  ::close(fd);
  if (::link(temp.c_str(), path.c_str()) != 0) {
    const int link_errno = errno;
    if (link_errno == EPERM || link_errno == EOPNOTSUPP || link_errno == ENOSYS) {
      // A filesystem without hard links (some network and container mounts): rename instead.
      // Still atomic and complete; the only loss is that two processes racing on their very
      // first start could each keep the secret it wrote (the file ends with the last one).
      if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int rename_errno = errno;
        ::unlink(temp.c_str());
        fail("cannot create", path, rename_errno);
      }
      fsync_directory(dir);
      return;
    }
    ::unlink(temp.c_str());
    if (link_errno != EEXIST) fail("cannot create", path, link_errno);
    return;  // another process created it first: its secret wins
  }
  ::unlink(temp.c_str());
  fsync_directory(dir);
}

}  // namespace

std::string load_or_create_jwt_secret(const std::filesystem::path& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) fail("cannot create directory", data_dir, ec.value());

  const std::filesystem::path path = data_dir / kFileName;
  if (auto existing = read_secret(path)) return *std::move(existing);
  create_secret(data_dir, path);
  if (auto created = read_secret(path)) return *std::move(created);
  throw std::runtime_error("JWT secret " + path.string() + " vanished right after it was created");
}

}  // namespace parley
