// How things look on a terminal: messages, rooms, members, the upload progress bar.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "parley/client.hpp"

namespace parley::cli {

// Readers for the server's JSON: absent or another type gives the default.
std::string str_of(simdjson::dom::element e, std::string_view key);
std::int64_t int_of(simdjson::dom::element e, std::string_view key);
bool bool_of(simdjson::dom::element e, std::string_view key);

// Text from other users made safe for a terminal: control characters (ESC, CR, C1 controls, ...)
// would let a message move the cursor, clear the screen or retitle the window. Newlines stay,
// tabs become spaces, every other control character becomes '?'.
std::string printable(std::string_view text);

// An RFC 3339 UTC timestamp in local time: "2026-11-23 14:35" (with_date) or "14:35".
std::string local_time(std::string_view timestamp, bool with_date);

// "[2026-11-23 14:35] alice: hello", with "(edited)", "(deleted)" and the attachment as
// "[image photo.jpg, 1.2 MB] URL" (`server_base` + the server's /api/files/... path). printable().
std::string message_line(const client::Message& m, bool with_date, const std::string& server_base);

// "1.2 MB"
std::string human_bytes(std::uint64_t bytes);

// "#3 general" (printable)
std::string room_label(simdjson::dom::element room);

// A progress bar on stderr, drawn only when stderr is a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();  // ends the bar's line
  void update(std::uint64_t done, std::uint64_t total);

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  int last_percent_ = -1;
};

}  // namespace parley::cli
