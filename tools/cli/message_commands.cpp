// send (text or file), history.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "commands.hpp"
#include "failure.hpp"
#include "format.hpp"
#include "util/json_writer.hpp"

namespace parley::cli {

namespace {

// Checked before anything is sent: a typo in the path is the user's error, not the server's.
void check_readable(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Failure(kUsage, "cannot read " + path + ": " + std::strerror(errno));
  ::close(fd);
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int run_send(const Args& args) {
  if (args.file.empty() && args.text.empty()) throw Failure(kUsage, "nothing to send: give TEXT or --file PATH");
  if (!args.file.empty()) check_readable(args.file);
  Api api(args.global);
  const auto room = api.room_id(args.room);

  std::string attachment;
  if (!args.file.empty()) {
    // Uploads count against the user's quota: make sure the message can be sent before uploading.
    const auto info = api.call("GET", "/api/rooms/" + std::to_string(room));
    if (!bool_of(info, "joined")) throw Failure(kNotFound, "not a member of " + room_label(info) + ": join it first");
    ProgressBar bar("uploading " + base_name(args.file));
    const auto file =
        api.upload(args.file, [&bar](std::uint64_t sent, std::uint64_t total) { bar.update(sent, total); });
    attachment = str_of(file, "url");
  }

  JsonWriter w;
  w.begin_object().field("room_id", room).field("content", args.text);
  if (!attachment.empty()) w.field("attachment", attachment);
  const auto message = api.call("POST", "/api/messages", w.end_object().take());
  if (args.json) {
    std::cout << simdjson::minify(message) << "\n";
  } else {
    std::cout << "sent message " << int_of(message, "id") << " (seq " << int_of(message, "seq") << ")\n";
  }
  return kOk;
}

int run_history(const Args& args) {
  if (args.limit < 1 || args.limit > 200) throw Failure(kUsage, "--limit must be 1-200");
  Api api(args.global);
  const auto room = api.room_id(args.room);
  const auto reply =
      api.call("GET", "/api/messages?room_id=" + std::to_string(room) + "&limit=" + std::to_string(args.limit));
  const std::string base = api.absolute_url("");
  for (auto m : reply["messages"].get_array()) {
    const std::string json = simdjson::minify(m);
    if (args.json) {
      std::cout << json << "\n";
    } else if (const auto message = client::message_from_json(json)) {
      std::cout << message_line(*message, true, base) << "\n";
    }
  }
  return kOk;
}

}  // namespace parley::cli
