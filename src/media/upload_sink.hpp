// Receives an upload's bytes as they arrive: appends them to a temporary file, hashes them,
// and stops at the size limit, so memory stays flat whatever the file size. The temporary
// file is removed unless the upload is kept (keep()).
#pragma once

#include <sodium.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace parley {

class UploadSink {
 public:
  // Creates `temp_path` exclusively with mode 0600. Throws std::system_error on failure.
  UploadSink(std::filesystem::path temp_path, std::int64_t max_bytes);
  ~UploadSink();
  UploadSink(const UploadSink&) = delete;
  UploadSink& operator=(const UploadSink&) = delete;

  // Appends; false (writing nothing) when the data would cross the limit.
  bool write(std::string_view data);
  // Flushes and closes the file; returns the hex SHA-256 of everything written.
  std::string finish();
  // The file was moved away or is otherwise owned elsewhere: do not delete it.
  void keep() { kept_ = true; }

  std::int64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::int64_t max_bytes_;
  std::int64_t size_ = 0;
  int fd_ = -1;
  bool kept_ = false;
  crypto_hash_sha256_state hash_;
};

}  // namespace parley
