#include "format.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>

#include "terminal.hpp"

namespace parley::cli {

std::string str_of(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  if (e[key].get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

std::int64_t int_of(simdjson::dom::element e, std::string_view key) {
  std::int64_t v = 0;
  if (e[key].get_int64().get(v) == simdjson::SUCCESS) return v;
  return 0;
}

bool bool_of(simdjson::dom::element e, std::string_view key) {
  bool v = false;
  if (e[key].get_bool().get(v) == simdjson::SUCCESS) return v;
  return false;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += '\n';
    } else if (c == '\t') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out += '?';  // U+0080-U+009F, the C1 controls (0x9b is a CSI for some terminals)
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string local_time(std::string_view timestamp, bool with_date) {
  std::tm utc{};
  int year = 0, month = 0;
  const std::string text(timestamp.substr(0, 19));
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &utc.tm_mday, &utc.tm_hour, &utc.tm_min,
                  &utc.tm_sec) != 6) {
    return text;  // not what the server sends: show it as it is
  }
  utc.tm_year = year - 1900;
  utc.tm_mon = month - 1;
  const std::time_t t = timegm(&utc);
  std::tm local{};
  localtime_r(&t, &local);
  char out[32];
  std::strftime(out, sizeof out, with_date ? "%Y-%m-%d %H:%M" : "%H:%M", &local);
  return out;
}

std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  char out[32];
  std::snprintf(out, sizeof out, unit == 0 ? "%.0f %s" : "%.1f %s", value, kUnits[unit]);
  return out;
}

std::string message_line(const client::Message& m, bool with_date, const std::string& server_base) {
  std::string line = "[" + local_time(m.timestamp, with_date) + "] " + printable(m.sender) + ":";
  if (m.deleted) return line + " (deleted)";
  if (!m.content.empty()) line += " " + printable(m.content);
  if (!m.attachment.empty()) {
    simdjson::dom::parser parser;
    simdjson::dom::element a;
    if (parser.parse(m.attachment).get(a) == simdjson::SUCCESS) {
      line += " [" + str_of(a, "type") + " " + printable(str_of(a, "original_filename")) + ", " +
              human_bytes(static_cast<std::uint64_t>(int_of(a, "size"))) + "] " + server_base +
              printable(str_of(a, "url"));
    }
  }
  if (m.edited_at) line += " (edited)";
  return line;
}

std::string room_label(simdjson::dom::element room) {
  return "#" + std::to_string(int_of(room, "id")) + " " + printable(str_of(room, "name"));
}

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), enabled_(is_terminal(STDERR_FILENO)) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::cerr << "\n" << std::flush;
}

void ProgressBar::update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  const int percent = total == 0 ? 100 : static_cast<int>(done * 100 / total);
  if (percent == last_percent_) return;  // redraw only when it changes
  last_percent_ = percent;
  constexpr int kWidth = 30;
  const int filled = percent * kWidth / 100;
  std::cerr << "\r" << label_ << " [" << std::string(static_cast<std::size_t>(filled), '#')
            << std::string(static_cast<std::size_t>(kWidth - filled), '.') << "] " << percent << "% "
            << human_bytes(done) << " / " << human_bytes(total) << "\033[K" << std::flush;
  drawn_ = true;
}

}  // namespace parley::cli
