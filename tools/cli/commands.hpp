// The commands of parley-cli. Each returns the exit code or throws Failure.
#pragma once

#include <string>

#include "api.hpp"

namespace parley::cli {

// Everything the command line can set; each command reads its part.
struct Args {
  GlobalOptions global;
  std::string username;
  bool password_stdin = false;
  std::string room;  // an id or a room name
  std::string name;  // create
  bool private_room = false;
  std::string id_or_invite;  // join
  std::string text;
  std::string file;  // send --file
  int limit = 50;    // history
  int last = 20;     // chat: messages of history shown first
  bool json = false;
};

int run_register(const Args& args);
int run_login(const Args& args);
int run_logout(const Args& args);
int run_whoami(const Args& args);
int run_rooms(const Args& args);
int run_create(const Args& args);
int run_join(const Args& args);
int run_leave(const Args& args);
int run_members(const Args& args);
int run_send(const Args& args);
int run_history(const Args& args);
int run_tail(const Args& args);  // tail.cpp
int run_chat(const Args& args);  // chat.cpp

}  // namespace parley::cli
