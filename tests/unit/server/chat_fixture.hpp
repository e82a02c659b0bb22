// A real chat core for the ChatService / Presence / Typing tests: a SqliteStore on a temporary
// file, a CommitQueue with its writer thread, a LocalBus whose subscriber records every event,
// and an io_context running the Presence and Typing timers on a background thread.
//
// Events arrive from three threads (the test thread, the commit queue's writer, the timer
// thread), so the recorder is locked and tests wait for an event with a deadline
// (wait_for_event) instead of sleeping.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "bus/bus.hpp"
#include "chat/chat_service.hpp"
#include "chat/presence.hpp"
#include "chat/typing.hpp"
#include "store/commit_queue.hpp"
#include "store/sqlite/sqlite_store.hpp"

// ChatService is gaining a MediaService (attachments): build it with one when it takes one.
#if __has_include("media/media_service.hpp")
#include "media/media_service.hpp"

#include "support/temp_dir.hpp"
#define PARLEY_CHAT_TEST_HAS_MEDIA 1
#else
#define PARLEY_CHAT_TEST_HAS_MEDIA 0
#endif

namespace parley::chat_test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Generous: a deadline only bounds how long a failing test hangs, it never paces a passing one.
inline constexpr std::chrono::milliseconds kEventDeadline = 10s;

using parley::testing::TempDir;

// ---- reading the JSON of a recorded frame (JSON pointer paths: "/type", "/user/id")

inline simdjson::dom::element parse_frame(simdjson::dom::parser& parser, const BusEvent& e) {
  if (!e.frame) throw std::runtime_error("event without a frame");
  return parser.parse(simdjson::padded_string(*e.frame));
}

inline std::string jstr(const BusEvent& e, const char* pointer) {
  if (!e.frame) return "<no frame>";
  simdjson::dom::parser parser;
  std::string_view out;
  if (parse_frame(parser, e).at_pointer(pointer).get(out) != simdjson::SUCCESS) return "<absent>";
  return std::string(out);
}

inline std::int64_t jint(const BusEvent& e, const char* pointer) {
  if (!e.frame) return -1;
  simdjson::dom::parser parser;
  std::int64_t out = 0;
  if (parse_frame(parser, e).at_pointer(pointer).get(out) != simdjson::SUCCESS) return -1;
  return out;
}

inline std::optional<bool> jbool(const BusEvent& e, const char* pointer) {
  if (!e.frame) return std::nullopt;
  simdjson::dom::parser parser;
  bool out = false;
  if (parse_frame(parser, e).at_pointer(pointer).get(out) != simdjson::SUCCESS) return std::nullopt;
  return out;
}

inline bool jnull(const BusEvent& e, const char* pointer) {
  if (!e.frame) return false;
  simdjson::dom::parser parser;
  simdjson::dom::element el;
  if (parse_frame(parser, e).at_pointer(pointer).get(el) != simdjson::SUCCESS) return false;
  return el.is_null();
}

inline std::string type_of(const BusEvent& e) {
  return e.kind == BusEvent::Kind::room_frame ? jstr(e, "/type") : std::string("<not a room frame>");
}

// ---- predicates over recorded events

using EventPredicate = std::function<bool(const BusEvent&)>;

inline EventPredicate frame_type(std::string type) {
  return [type = std::move(type)](const BusEvent& e) {
    return e.kind == BusEvent::Kind::room_frame && type_of(e) == type;
  };
}

inline EventPredicate frame_in_room(std::string type, RoomId room) {
  return [type = std::move(type), room](const BusEvent& e) {
    return e.kind == BusEvent::Kind::room_frame && e.room == room && type_of(e) == type;
  };
}

inline EventPredicate presence_of(UserId user, std::string status) {
  return [user, status = std::move(status)](const BusEvent& e) {
    return e.kind == BusEvent::Kind::room_frame && type_of(e) == "presence" && jint(e, "/user_id") == user &&
           jstr(e, "/status") == status;
  };
}

inline EventPredicate typing_event(bool start, RoomId room, UserId typist) {
  return [start, room, typist](const BusEvent& e) {
    return e.kind == BusEvent::Kind::room_frame && e.room == room &&
           type_of(e) == (start ? "typing_start" : "typing_stop") && jint(e, "/sender_id") == typist;
  };
}

// ---- the recorder

struct Recorded {
  BusEvent event;
  Clock::time_point at;  // when it was published
};

class EventRecorder {
 public:
  void record(const BusEvent& e) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(Recorded{e, Clock::now()});
    }
    changed_.notify_all();
  }

  // The first recorded event matching `match`, waiting up to `timeout` for it to be published.
  std::optional<Recorded> wait_for_event(const EventPredicate& match,
                                         std::chrono::milliseconds timeout = kEventDeadline) {
    std::unique_lock lock(mutex_);
    std::optional<Recorded> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto& r : events_) {
        if (match(r.event)) {
          found = r;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  // Waits until at least `n` recorded events match.
  bool wait_for_count(const EventPredicate& match, std::size_t n, std::chrono::milliseconds timeout = kEventDeadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return count_locked(match) >= n; });
  }

  std::size_t count(const EventPredicate& match) const {
    std::lock_guard lock(mutex_);
    return count_locked(match);
  }

  std::vector<BusEvent> matching(const EventPredicate& match) const {
    std::lock_guard lock(mutex_);
    std::vector<BusEvent> out;
    for (const auto& r : events_) {
      if (match(r.event)) out.push_back(r.event);
    }
    return out;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

  void clear() {
    std::lock_guard lock(mutex_);
    events_.clear();
  }

 private:
  std::size_t count_locked(const EventPredicate& match) const {
    std::size_t n = 0;
    for (const auto& r : events_) n += match(r.event) ? 1 : 0;
    return n;
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Recorded> events_;
};

// ---- the chat core under test

#if PARLEY_CHAT_TEST_HAS_MEDIA
// A template, so that only the constructor ChatService really has is ever instantiated.
template <class Chat>
std::unique_ptr<Chat> make_chat(Store& store, CommitQueue& commits, Bus& bus, Presence& presence, Typing& typing,
                                MediaService& media, ChatLimits limits) {
  if constexpr (std::is_constructible_v<Chat, Store&, CommitQueue&, Bus&, Presence&, Typing&, MediaService&,
                                        ChatLimits>) {
    return std::make_unique<Chat>(store, commits, bus, presence, typing, media, limits);
  } else {
    return std::make_unique<Chat>(store, commits, bus, presence, typing, limits);
  }
}
#endif

struct ChatOptions {
  std::chrono::milliseconds presence_grace = 10s;
  std::chrono::milliseconds status_lease = 10s;
  std::chrono::milliseconds typing_ttl = 10s;
  std::chrono::milliseconds typing_relay = 10s;
  RateLimit typing_relays_per_user{1000, 1000};  // relayed typing_starts per user (the signal cap)
  ChatLimits limits{};
};

class ChatWorld {
 public:
  explicit ChatWorld(ChatOptions options = {})
      : options_(options),
        store_(dir_.file("chat.db"), SqliteSync::normal),
        work_(boost::asio::make_work_guard(io_)),
        presence_(store_, bus_, io_, options.presence_grace, options.status_lease),
        typing_(bus_, io_, options.typing_ttl, options.typing_relay, options.typing_relays_per_user),
        commits_(store_, 64) {
#if PARLEY_CHAT_TEST_HAS_MEDIA
    files_ = std::make_unique<FileStore>(dir_.file("files"));
    media_ = std::make_unique<MediaService>(store_, *files_, MediaSettings{});
    chat_ = make_chat<ChatService>(store_, commits_, bus_, presence_, typing_, *media_, options.limits);
#else
    chat_ = std::make_unique<ChatService>(store_, commits_, bus_, presence_, typing_, options.limits);
#endif
    bus_.subscribe([this](const BusEvent& e) { recorder_.record(e); });
    timer_thread_ = std::thread([this] { io_.run(); });
  }

  ~ChatWorld() {
    // Completions call back into chat_: drain them while everything is still alive.
    commits_.stop();
    work_.reset();
    io_.stop();
    timer_thread_.join();
  }

  ChatWorld(const ChatWorld&) = delete;
  ChatWorld& operator=(const ChatWorld&) = delete;

  User user(const std::string& name) {
    auto u = store_.create_user(name, "not-a-real-hash", 1000);
    if (!u) throw std::runtime_error("user name taken: " + name);
    return *u;
  }

  Room room(const User& creator, const std::string& name, bool is_private = false) {
    auto view = chat_->create_room(creator, name, is_private);
    if (!view.ok()) throw std::runtime_error("create_room failed: " + view.error().message);
    return view.value().room;
  }

  // send_message, waiting for its completion (which may come from the writer thread).
  Result<AppendResult> send(const User& actor, RoomId room, std::string content,
                            std::optional<std::string> client_id = std::nullopt) {
    ChatService::SendRequest request;
    request.room_id = room;
    request.content = std::move(content);
    request.client_id = std::move(client_id);
    auto promise = std::make_shared<std::promise<Result<AppendResult>>>();
    auto future = promise->get_future();
    chat_->send_message(actor, std::move(request),
                        [promise](Result<AppendResult> result) { promise->set_value(std::move(result)); });
    if (future.wait_for(kEventDeadline) != std::future_status::ready) {
      throw std::runtime_error("send_message never completed");
    }
    return future.get();
  }

  // send + wait until the message frame has been published (it follows `done`).
  Message send_ok(const User& actor, RoomId room, std::string content,
                  std::optional<std::string> client_id = std::nullopt) {
    auto result = send(actor, room, std::move(content), std::move(client_id));
    if (!result.ok()) throw std::runtime_error("send refused: " + result.error().message);
    const Message m = result.value().message;
    if (!result.value().duplicate) {
      const auto published = recorder_.wait_for_event([&](const BusEvent& e) {
        return e.kind == BusEvent::Kind::room_frame && e.room == m.room_id && e.seq == m.seq && type_of(e) == "message";
      });
      if (!published) throw std::runtime_error("message frame never published");
    }
    return m;
  }

  ChatService& chat() {
    return *chat_;
  }
  // Returns once everything already posted to the timer thread (presence announcements are
  // requested there) has run: a barrier, not a sleep.
  void settle_timers() {
    std::promise<void> done;
    boost::asio::post(io_, [&done] { done.set_value(); });
    if (done.get_future().wait_for(kEventDeadline) != std::future_status::ready) {
      throw std::runtime_error("the timer thread did not settle");
    }
  }

  Presence& presence() {
    return presence_;
  }
  Typing& typing() {
    return typing_;
  }
  SqliteStore& store() {
    return store_;
  }
  EventRecorder& events() {
    return recorder_;
  }
  const ChatOptions& options() const {
    return options_;
  }
  std::string store_path() const {
    return dir_.file("chat.db");
  }

 private:
  ChatOptions options_;
  TempDir dir_;
  SqliteStore store_;
  EventRecorder recorder_;
  LocalBus bus_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  Presence presence_;
  Typing typing_;
  CommitQueue commits_;
#if PARLEY_CHAT_TEST_HAS_MEDIA
  std::unique_ptr<FileStore> files_;
  std::unique_ptr<MediaService> media_;
#endif
  std::unique_ptr<ChatService> chat_;
  std::thread timer_thread_;
};

}  // namespace parley::chat_test
