// parley-cli: the command-line client of Parley (tools/cli/README.md).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <functional>
#include <iostream>

#include "commands.hpp"
#include "failure.hpp"

namespace pc = parley::cli;

int main(int argc, char** argv) {
  pc::Args args;
  CLI::App app{"parley-cli: chat on a Parley server from the command line"};
  app.require_subcommand(1);
  app.fallthrough();  // --server and --ca-file also after the command
  app.set_version_flag("--version", "parley-cli 0.1.0");
  app.add_option("--server", args.global.server,
                 "server URL: http://HOST[:PORT] or ws://... (https:// and wss:// are not supported yet); "
                 "default: the stored login's, else " +
                     std::string(pc::kDefaultServer))
      ->envname("PARLEY_SERVER");
  app.add_option("--ca-file", args.global.ca_file, "CA bundle for https:// servers");

  std::function<int(const pc::Args&)> command;
  const auto sub = [&](const char* name, const char* help, int (*run)(const pc::Args&)) {
    CLI::App* s = app.add_subcommand(name, help);
    s->callback([&command, run] { command = run; });
    return s;
  };
  const auto room_arg = [&](CLI::App* s) {
    s->add_option("ROOM", args.room, "room id or exact room name")->required();
  };
  const auto json_flag = [&](CLI::App* s, const char* what) { s->add_flag("--json", args.json, what); };

  for (auto [name, help, run] : {std::tuple{"register", "create an account and log in", &pc::run_register},
                                 std::tuple{"login", "log in and store the login", &pc::run_login}}) {
    auto* s = sub(name, help, run);
    s->add_option("USERNAME", args.username, "user name")->required();
    s->add_flag("--password-stdin", args.password_stdin, "read the password from stdin instead of the terminal");
  }
  sub("logout", "end the login on the server and remove the stored one", &pc::run_logout);
  json_flag(sub("whoami", "show the logged-in user", &pc::run_whoami), "print the user as JSON");
  json_flag(sub("rooms", "list public rooms and your private rooms", &pc::run_rooms), "one JSON room per line");

  auto* create = sub("create", "create a room", &pc::run_create);
  create->add_option("NAME", args.name, "room name")->required();
  create->add_flag("--private", args.private_room, "a private room (joined by invite only)");
  json_flag(create, "print the room as JSON");

  auto* join = sub("join", "join a public room by id, or any room by invite", &pc::run_join);
  join->add_option("ROOM_OR_INVITE", args.id_or_invite, "room id or invite code")->required();
  json_flag(join, "print the room as JSON");

  room_arg(sub("leave", "leave a room", &pc::run_leave));

  auto* members = sub("members", "list a room's members and their status", &pc::run_members);
  room_arg(members);
  json_flag(members, "one JSON member per line");

  auto* send = sub("send", "send a message, or a file with --file", &pc::run_send);
  room_arg(send);
  send->add_option("TEXT", args.text, "message text (a caption with --file)");
  send->add_option("--file", args.file, "upload this file and send it as the message's attachment");
  json_flag(send, "print the stored message as JSON");

  auto* history = sub("history", "print a room's latest messages", &pc::run_history);
  room_arg(history);
  history->add_option("-n,--limit", args.limit, "how many (1-200)")->capture_default_str();
  json_flag(history, "one JSON message per line, as the server sent it");

  auto* tail = sub("tail", "print a room's new messages as they arrive (Ctrl-C stops)", &pc::run_tail);
  room_arg(tail);
  json_flag(tail, "one JSON message per line, as the server sent it");

  auto* chat = sub("chat", "chat in a room interactively", &pc::run_chat);
  room_arg(chat);
  chat->add_option("--last", args.last, "messages of history shown first")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports a misspelt command as a missing one: name the word that was not understood.
    const auto extra = app.remaining();
    const std::string what =
        app.get_subcommands().empty() && !extra.empty() ? "unknown command: " + extra.front() : std::string(e.what());
    std::cerr << "parley-cli: " << what << " (see parley-cli --help)\n";
    return pc::kUsage;
  }

  try {
    return command(args);
  } catch (const pc::Failure& f) {
    std::cerr << "parley-cli: " << f.what() << "\n";
    return f.code();
  } catch (const std::exception& e) {
    // simdjson errors: a reply without the fields the command needs.
    std::cerr << "parley-cli: unexpected reply from the server (" << e.what() << ")\n";
    return pc::kServerError;
  }
}
