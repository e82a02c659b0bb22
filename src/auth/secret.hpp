// The JWT signing secret lives in <data_dir>/jwt_secret so that a restart keeps every issued
// access token valid (a fresh secret per start would log everyone out).
#pragma once

#include <filesystem>
#include <string>

namespace parley {

// Returns the secret in <data_dir>/jwt_secret (surrounding whitespace trimmed). When the file
// does not exist it is created with 32 random bytes, hex-encoded (64 characters), mode 0600
// from the start. The new file appears atomically, complete and fsynced (written to a private
// temporary file, then hard-linked into place; renamed where a filesystem has no hard links),
// so a crash cannot leave a half-written secret and two processes starting at once agree on
// one secret. data_dir is created if missing.
// Throws std::runtime_error on I/O errors or when the existing file holds under 32 bytes.
std::string load_or_create_jwt_secret(const std::filesystem::path& data_dir);

}  // namespace parley
