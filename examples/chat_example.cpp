// libparley-client in one program: log in (or register), join a room, print what happens
// there, send one message, and leave cleanly once the server has acknowledged it.
//
//   parley_chat_example ws://127.0.0.1:8080 alice 'secret-password' 7 "hello from C++"
//
// Exit status: 0 after the message was acknowledged and echoed, 1 on any failure.
#include <parley/client.hpp>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <iostream>
#include <string>

namespace pc = parley::client;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: " << argv[0] << " URL USERNAME PASSWORD ROOM_ID TEXT\n";
    return 1;
  }
  pc::ClientOptions options;
  if (!options.set_url(argv[1])) {
    std::cerr << "not a ws:// or http:// URL: " << argv[1] << "\n";
    return 1;
  }
  options.username = argv[2];
  options.password = argv[3];
  options.max_reconnect_attempts = 3;  // a demo gives up instead of retrying for ever
  const pc::RoomId room = std::atoll(argv[4]);
  const std::string text = argv[5];

  boost::asio::io_context io;
  std::unique_ptr<pc::Client> client;  // created below; handlers reach it through this
  std::string sent_id;                 // client_id of our message
  bool acked = false, echoed = false;
  int status = 1;
  const auto finish_when_done = [&] {
    if (!acked || !echoed) return;
    status = 0;
    client->close();
  };

  pc::Handlers on;
  on.on_connected = [&](const pc::Connected& c) { std::cout << "connected as " << c.user.username << "\n"; };
  on.on_joined = [&](const pc::Joined& j) {
    std::cout << "joined room " << j.room_id << " (" << j.members.size() << " members, last seq " << j.last_seq
              << ")\n";
    if (sent_id.empty()) sent_id = client->send(room, text);  // queued even if we get cut off now
  };
  on.on_message = [&](const pc::Message& m) {
    std::cout << "[" << m.room_id << "#" << m.seq << "] " << m.sender << ": " << m.content << "\n";
    if (m.client_id && *m.client_id == sent_id) echoed = true;
    finish_when_done();
  };
  on.on_ack = [&](const pc::Ack& a) {
    std::cout << "stored as message " << a.id << ", seq " << a.seq << "\n";
    if (a.client_id == sent_id) acked = true;
    finish_when_done();
  };
  on.on_typing = [](const pc::Typing& t) { std::cout << t.sender << (t.typing ? " is typing\n" : " stopped\n"); };
  on.on_presence = [](const pc::Presence& p) { std::cout << p.username << " is " << p.status << "\n"; };
  on.on_member = [](const pc::MemberChange& m) {
    std::cout << m.user.username << (m.joined ? " joined\n" : " left\n");
  };
  on.on_reconnecting = [](const pc::Reconnecting& r) {
    std::cout << "reconnecting (attempt " << r.attempt << ") in " << r.delay.count() << " ms\n";
  };
  on.on_error = [&](const pc::Error& e) {
    std::cerr << "error " << e.code << ": " << e.message << "\n";
    if (e.code == "auth_failed" || e.code == "reconnect_failed") io.stop();  // the client has given up
  };
  on.on_disconnected = [&](const pc::Disconnected& d) {
    std::cout << "disconnected (" << d.code << ")\n";
    if (d.code == 1000) io.stop();  // our own close(): done
  };

  client = std::make_unique<pc::Client>(io, options, on);
  client->join(room);
  client->start();
  io.run();
  return status;
}
