// The REST endpoints of PROTOCOL.md. handle() runs on a worker thread (it may hash passwords,
// read the store and wait for a group commit), never on an I/O thread.
#pragma once

#include <simdjson.h>

#include "app/services.hpp"
#include "core/result.hpp"
#include "http/http_types.hpp"

namespace parley {

class RestApi {
 public:
  explicit RestApi(Services& services) : s_(services) {}

  HttpReply handle(const HttpRequest& request);

 private:
  using Object = simdjson::dom::object;
  using Segments = std::vector<std::string_view>;

  HttpReply route(const HttpRequest& req, const Segments& seg);
  HttpReply route_authenticated(const HttpRequest& req, const Segments& seg, const User& me);
  Result<User> authenticate(const HttpRequest& req) const;
  bool metrics_allowed(const HttpRequest& req) const;

  // rest_auth.cpp
  HttpReply auth_register(const HttpRequest& req);
  HttpReply auth_login(const HttpRequest& req);
  HttpReply auth_refresh(const HttpRequest& req);
  HttpReply auth_logout(const HttpRequest& req);

  // rest_rooms.cpp
  HttpReply list_rooms(const User& me);
  HttpReply create_room(const HttpRequest& req, const User& me);
  HttpReply join_by_invite(const HttpRequest& req, const User& me);
  HttpReply room_action(const HttpRequest& req, const Segments& seg, const User& me);

  // rest_messages.cpp
  HttpReply get_messages(const HttpRequest& req, const User& me);
  HttpReply post_message(const HttpRequest& req, const User& me);
  HttpReply message_action(const HttpRequest& req, const Segments& seg, const User& me);
  // Sends and waits for the durable commit (this is a worker thread; waiting is fine here).
  Result<Message> send_and_wait(const User& me, ChatService::SendRequest request);

  // rest_compat.cpp: the simple compatibility API
  HttpReply compat_send(const HttpRequest& req, const User& me);
  HttpReply compat_get_messages(const HttpRequest& req, const User& me);
  HttpReply compat_update_status(const HttpRequest& req, const User& me);
  HttpReply compat_get_status(const HttpRequest& req);
  // A user named by id ("3", 3) or username; nullopt when there is none.
  std::optional<User> find_user_ref(simdjson::dom::object obj, std::string_view key);
  std::optional<User> find_user_ref(std::string_view text);

  Services& s_;
};

// The request body as a JSON object, or the 400 to send.
Result<simdjson::dom::object> json_body(const HttpRequest& req);

}  // namespace parley
