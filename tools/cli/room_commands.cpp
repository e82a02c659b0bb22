// rooms, create, join, leave, members.
#include <algorithm>
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "failure.hpp"
#include "format.hpp"
#include "util/json_writer.hpp"

namespace parley::cli {

namespace {

void print_room_change(const Args& args, const char* verb, simdjson::dom::element room) {
  if (args.json) {
    std::cout << simdjson::minify(room) << "\n";
    return;
  }
  std::cout << verb << " " << room_label(room) << (bool_of(room, "private") ? " (private)" : "");
  if (const auto invite = str_of(room, "invite"); !invite.empty()) std::cout << "; invite: " << invite;
  std::cout << "\n";
}

}  // namespace

int run_rooms(const Args& args) {
  Api api(args.global);
  const auto rooms = api.call("GET", "/api/rooms")["rooms"];
  std::size_t width = 0;
  for (auto room : rooms.get_array()) width = std::max(width, room_label(room).size());
  for (auto room : rooms.get_array()) {
    if (args.json) {
      std::cout << simdjson::minify(room) << "\n";
      continue;
    }
    std::cout << std::left << std::setw(static_cast<int>(width) + 2) << room_label(room)
              << (bool_of(room, "private") ? "private  " : "public   ") << int_of(room, "member_count") << " members, "
              << int_of(room, "online_count") << " online" << (bool_of(room, "joined") ? "  (joined)" : "") << "\n";
  }
  return kOk;
}

int run_create(const Args& args) {
  Api api(args.global);
  JsonWriter w;
  w.begin_object().field("name", args.name).field("private", args.private_room).end_object();
  print_room_change(args, "created", api.call("POST", "/api/rooms", w.take()));
  return kOk;
}

int run_join(const Args& args) {
  Api api(args.global);
  if (is_id(args.id_or_invite)) {
    print_room_change(args, "joined", api.call("POST", "/api/rooms/" + args.id_or_invite + "/join"));
  } else {
    JsonWriter w;
    w.begin_object().field("invite", args.id_or_invite).end_object();
    print_room_change(args, "joined", api.call("POST", "/api/rooms/join", w.take()));
  }
  return kOk;
}

int run_leave(const Args& args) {
  Api api(args.global);
  const auto room = api.room_id(args.room);
  api.call("POST", "/api/rooms/" + std::to_string(room) + "/leave");
  if (!args.json) std::cout << "left room #" << room << "\n";
  return kOk;
}

int run_members(const Args& args) {
  Api api(args.global);
  const auto room = api.room_id(args.room);
  const auto members = api.call("GET", "/api/rooms/" + std::to_string(room) + "/members")["members"];
  std::size_t width = 0;
  for (auto m : members.get_array()) width = std::max(width, str_of(m, "username").size());
  for (auto m : members.get_array()) {
    if (args.json) {
      std::cout << simdjson::minify(m) << "\n";
    } else {
      std::cout << std::left << std::setw(static_cast<int>(width) + 2) << str_of(m, "username") << str_of(m, "status")
                << "\n";
    }
  }
  return kOk;
}

}  // namespace parley::cli
