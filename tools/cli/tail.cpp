// tail ROOM [--json]: prints the room's new messages as they arrive, until Ctrl-C or SIGTERM.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <iostream>

#include "commands.hpp"
#include "failure.hpp"
#include "format.hpp"
#include "live.hpp"

namespace parley::cli {

int run_tail(const Args& args) {
  Api api(args.global);
  const auto room = api.room_id(args.room);
  const std::string label = require_membership(api, room).label;
  const std::string base = api.absolute_url("");

  LiveSession live(api, room);
  live.handlers.on_joined = [&, announced = false](const client::Joined& j) mutable {
    if (j.room_id != room || announced) return;
    announced = true;
    std::cerr << "following " << label << " (Ctrl-C to stop)\n";  // stderr: stdout is only messages
  };
  live.handlers.on_message = [&](const client::Message& m) {
    if (m.room_id != room) return;
    std::cout << (args.json ? client::to_json(m) : message_line(m, true, base)) << "\n" << std::flush;
  };
  live.handlers.on_disconnected = [](const client::Disconnected& d) {
    if (d.code != 1000) std::cerr << "parley-cli: connection lost (" << d.reason << "), reconnecting\n";
  };
  live.handlers.on_error = [&](const client::Error& e) {
    if (!live.fail_on(e)) std::cerr << "parley-cli: " << e.message << "\n";
  };
  return live.run(std::nullopt);
}

}  // namespace parley::cli
