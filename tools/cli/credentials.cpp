#include "credentials.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simdjson.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "failure.hpp"
#include "util/json_writer.hpp"

namespace parley::cli {

namespace fs = std::filesystem;

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// Creates `dir` and any missing parents with mode 0700; existing directories are left as they are.
void make_private_dirs(const fs::path& dir) {
  fs::path partial;
  for (const auto& part : dir) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
      throw Failure(kUsage, "cannot create " + partial.string() + ": " + errno_text());
    }
  }
}

void write_all(int fd, const std::string& data, const fs::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Failure(kUsage, "cannot write " + path.string() + ": " + errno_text());
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

fs::path credentials_path() {
  // XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && xdg[0] == '/') {
    return fs::path(xdg) / "parley" / "credentials.json";
  }
  const char* home = std::getenv("HOME");
  if (!home || home[0] == '\0') throw Failure(kUsage, "neither XDG_CONFIG_HOME nor HOME is set");
  return fs::path(home) / ".config" / "parley" / "credentials.json";
}

std::optional<Credentials> load_credentials() {
  const fs::path path = credentials_path();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::nullopt;
    throw Failure(kUsage, "cannot read " + path.string() + ": " + errno_text());
  }
  std::stringstream text;
  text << in.rdbuf();
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(text.str()).get_object().get(obj) != simdjson::SUCCESS) {
    throw Failure(kUsage, path.string() + " is not valid JSON: log in again");
  }
  Credentials c;
  for (auto [key, field] : {std::pair{"server", &c.server}, std::pair{"username", &c.username},
                            std::pair{"access_token", &c.access_token}, std::pair{"refresh_token", &c.refresh_token}}) {
    std::string_view v;
    if (obj[key].get_string().get(v) == simdjson::SUCCESS) *field = std::string(v);
  }
  if (c.server.empty() || c.refresh_token.empty())
    throw Failure(kUsage, path.string() + " is incomplete: log in again");
  return c;
}

void save_credentials(const Credentials& c) {
  const fs::path path = credentials_path();
  make_private_dirs(path.parent_path());
  JsonWriter w;
  w.begin_object()
      .field("server", c.server)
      .field("username", c.username)
      .field("access_token", c.access_token)
      .field("refresh_token", c.refresh_token)
      .end_object();
  const std::string data = w.take() + "\n";

  // The temp file is born 0600 (O_EXCL: never someone else's file), so the tokens are never
  // readable by others; rename() then replaces the old file in one step.
  const fs::path tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Failure(kUsage, "cannot create " + tmp.string() + ": " + errno_text());
  try {
    write_all(fd, data, tmp);
    if (::fsync(fd) != 0) throw Failure(kUsage, "cannot write " + tmp.string() + ": " + errno_text());
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw Failure(kUsage, "cannot replace " + path.string() + ": " + why);
  }
}

bool remove_credentials() {
  const fs::path path = credentials_path();
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw Failure(kUsage, "cannot remove " + path.string() + ": " + errno_text());
}

}  // namespace parley::cli
