// The event bus: how an event produced anywhere reaches every connection that must see it.
// In-process today (LocalBus); Redis pub/sub for several instances later. Events carry the
// frame already serialized, so it is built once however many connections receive it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/types.hpp"

namespace parley {

struct BusEvent {
  enum class Kind {
    room_frame,        // send `frame` to the room's connections (filtered below)
    unsubscribe_user,  // `user` left `room`: their connections stop receiving it
    close_login,       // a login was revoked: its connections close with 1008
  };
  Kind kind = Kind::room_frame;
  RoomId room = 0;
  std::shared_ptr<const std::string> frame;
  Seq seq = 0;                // > 0 for chat messages: a connection never receives a seq twice or backwards
  UserId exclude_user = 0;    // typing: not echoed to the typist
  UserId only_user = 0;       // addressed to one member
  UserId user = 0;            // unsubscribe_user
  std::string login_session;  // close_login
};

class Bus {
 public:
  using Subscriber = std::function<void(const BusEvent&)>;
  virtual ~Bus() = default;
  // Thread-safe. Events published from one thread reach each subscriber in publish order.
  virtual void publish(BusEvent event) = 0;
  // Before the first publish only.
  virtual void subscribe(Subscriber subscriber) = 0;
};

// Hands every event straight to each subscriber (one per I/O thread, which re-posts it to
// its own thread): the fan-out crosses threads once per thread, not once per connection.
class LocalBus final : public Bus {
 public:
  void publish(BusEvent event) override;
  void subscribe(Subscriber subscriber) override;

 private:
  std::vector<Subscriber> subscribers_;
};

// Shorthand for the common case.
inline std::shared_ptr<const std::string> share(std::string frame) {
  return std::make_shared<const std::string>(std::move(frame));
}

}  // namespace parley
