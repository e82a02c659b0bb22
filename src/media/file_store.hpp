// Where uploaded bytes live: data_dir/files/<name>. Names are capabilities (128 random bits,
// URL-safe, plus an extension), so a name's shape is checked before it touches the file
// system and nothing a client sends ever becomes part of a path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

class FileStore {
 public:
  // Creates the directory (mode 0700) and clears uploads left half-written by a crash.
  explicit FileStore(std::filesystem::path dir);

  // A fresh unguessable name: 22 base64url characters (128 bits) + extension (".png" or "").
  static std::string new_name(std::string_view extension);
  // True for names new_name() can produce: [A-Za-z0-9_-]{22}(\.[a-z0-9]{1,8})?
  static bool valid_name(std::string_view name);

  // The path of a stored name; nullopt when the name is not of our shape.
  std::optional<std::filesystem::path> path_of(std::string_view name) const;
  // A new file for an upload in progress (same file system, so commit is a rename).
  std::filesystem::path temp_path() const;
  // Moves a finished (already fsynced) upload into place under `name`, durably.
  void commit(const std::filesystem::path& temp, std::string_view name) const;
  // fsync of one file (thumbnails, written by libvips) or of the directory.
  void sync_file(const std::filesystem::path& path) const;
  void sync_dir() const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path tmp_dir_;
};

}  // namespace parley
