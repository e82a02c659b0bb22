// register, login, logout, whoami.
#include <boost/asio/io_context.hpp>

#include <iostream>

#include "commands.hpp"
#include "failure.hpp"
#include "format.hpp"
#include "parley/rest.hpp"
#include "terminal.hpp"

namespace parley::cli {

namespace {

std::string ask_password(const Args& args, bool confirm) {
  std::string password;
  if (args.password_stdin) {
    password = read_line_from_stdin();
  } else if (is_terminal(STDIN_FILENO)) {
    password = read_password("Password for " + args.username + ": ");
    if (confirm && read_password("Repeat the password: ") != password) {
      throw Failure(kUsage, "the passwords do not match");
    }
  } else {
    throw Failure(kUsage, "no terminal to ask for the password on: use --password-stdin");
  }
  if (password.empty()) throw Failure(kUsage, "the password is empty");
  return password;
}

int authenticate(const Args& args, bool register_user) {
  const std::string server = args.global.server.empty() ? kDefaultServer : args.global.server;
  client::ClientOptions options = connection_options(server, args.global);
  options.username = args.username;
  options.password = ask_password(args, register_user);
  options.register_user = register_user;

  boost::asio::io_context io;
  client::Rest rest(io, options);
  client::RestResult result;
  rest.authenticate([&result](client::RestResult r) { result = std::move(r); });
  io.run();
  if (!result.ok()) {
    // A refused login or register is not a stored login gone bad: report the server's reason.
    result.auth_failed = result.auth_failed && result.status == 0;
    throw failure_of(result, server);
  }
  simdjson::dom::parser parser;
  simdjson::dom::element reply;
  if (parser.parse(result.body).get(reply) != simdjson::SUCCESS) {
    throw Failure(kServerError, "the server's reply is not JSON");
  }
  const std::string username = str_of(reply["user"], "username");
  save_credentials({server, username, str_of(reply, "access_token"), str_of(reply, "refresh_token")});
  std::cout << (register_user ? "registered and logged in as " : "logged in as ") << username << " on " << server
            << "\n";
  return kOk;
}

}  // namespace

int run_register(const Args& args) {
  return authenticate(args, true);
}

int run_login(const Args& args) {
  return authenticate(args, false);
}

int run_logout(const Args& args) {
  if (!load_credentials()) {
    std::cout << "not logged in\n";
    return kOk;
  }
  // The local login goes whatever the server says: the user asked to be logged out here.
  int code = kOk;
  try {
    Api api(args.global);
    api.logout();
  } catch (const Failure& f) {
    std::cerr << "parley-cli: the server could not end the login (" << f.what() << "); removed it here anyway\n";
    code = f.code();
  }
  remove_credentials();
  if (code == kOk) std::cout << "logged out\n";
  return code;
}

int run_whoami(const Args& args) {
  Api api(args.global);
  const auto me = api.call("GET", "/api/me");
  if (args.json) {
    std::cout << simdjson::minify(me) << "\n";
  } else {
    std::cout << str_of(me, "username") << " (user " << int_of(me, "id") << ") on " << api.credentials().server << "\n";
  }
  return kOk;
}

}  // namespace parley::cli
