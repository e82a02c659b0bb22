#include "media/upload_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace parley {

UploadSink::UploadSink(std::filesystem::path temp_path, std::int64_t max_bytes)
    : path_(std::move(temp_path)), max_bytes_(max_bytes) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot create upload file");
  crypto_hash_sha256_init(&hash_);
}

UploadSink::~UploadSink() {
  if (fd_ >= 0) ::close(fd_);
  if (!kept_) {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
}

bool UploadSink::write(std::string_view data) {
  if (size_ + static_cast<std::int64_t>(data.size()) > max_bytes_) return false;
  crypto_hash_sha256_update(&hash_, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  while (!data.empty()) {
    const auto n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "cannot write upload file");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    size_ += n;
  }
  return true;
}

std::string UploadSink::finish() {
  if (fd_ >= 0) {
    // Durable before the file is referenced by the store (and so by acknowledged messages).
    ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&hash_, digest);
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

}  // namespace parley
