// Shared helpers for the store tests: a fresh temporary directory per test, a raw SQLite
// connection that looks at the file behind the store's back, and waiting with deadlines.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "core/types.hpp"

#include "support/temp_dir.hpp"

namespace parley::test {

using parley::testing::TempDir;

// A second, independent connection to the database file: what is really on disk.
class RawDb {
 public:
  // flags: add SQLITE_OPEN_CREATE to make a database file from scratch (an old schema, say).
  explicit RawDb(const std::string& path, int flags = SQLITE_OPEN_READWRITE) {
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("raw open: ") + sqlite3_errmsg(db_));
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // First column of the first row as text ("<null>" for NULL, "<none>" without a row).
  std::string scalar(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("raw prepare: ") + sqlite3_errmsg(db_));
    }
    std::string out = "<none>";
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, 0);
      out = text != nullptr ? reinterpret_cast<const char*>(text) : "<null>";
    }
    sqlite3_finalize(stmt);
    return out;
  }

  // Every row's last column joined with '\n' (for EXPLAIN QUERY PLAN, whose detail is last).
  std::string rows(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("raw prepare: ") + sqlite3_errmsg(db_));
    }
    std::string out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const int last = sqlite3_column_count(stmt) - 1;
      const auto* text = sqlite3_column_text(stmt, last);
      out += text != nullptr ? reinterpret_cast<const char*>(text) : "<null>";
      out += '\n';
    }
    sqlite3_finalize(stmt);
    return out;
  }

  // Every row, columns joined with '|' and rows with '\n' ("<null>" for NULL): a whole result
  // as one comparable string.
  std::string table(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("raw prepare: ") + sqlite3_errmsg(db_));
    }
    std::string out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const auto* text = sqlite3_column_text(stmt, c);
        if (c > 0) out += '|';
        out += text != nullptr ? reinterpret_cast<const char*>(text) : "<null>";
      }
      out += '\n';
    }
    sqlite3_finalize(stmt);
    return out;
  }

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error("raw exec: " + message);
    }
  }

 private:
  sqlite3* db_ = nullptr;
};

// A counter other threads bump; the test waits until it reaches a value, with a deadline.
class Latch {
 public:
  void add(std::size_t n = 1) {
    {
      std::lock_guard lock(mutex_);
      count_ += n;
    }
    changed_.notify_all();
  }
  bool wait_for(std::size_t target, std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return count_ >= target; });
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t count_ = 0;
};

// prefix followed by n. (Not `"m" + std::to_string(n)`: in optimised builds that trips GCC 12's
// -Wrestrict false positive, GCC bug 105329, and warnings are errors.)
inline std::string numbered(std::string_view prefix, long long n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

inline MessageDraft draft(RoomId room, UserId sender, std::string content,
                          std::optional<std::string> client_id = std::nullopt, TimeMs created_at = 1000) {
  MessageDraft d;
  d.room_id = room;
  d.sender_id = sender;
  d.content = std::move(content);
  d.client_id = std::move(client_id);
  d.created_at = created_at;
  return d;
}

// history() arguments that read like the REST query: query(room, 50).since_seq(7).
class query {
 public:
  query(RoomId room, int limit) {
    q_.room_id = room;
    q_.limit = limit;
  }
  query& before_seq(Seq seq) {
    q_.before_seq = seq;
    return *this;
  }
  query& since_seq(Seq seq) {
    q_.since_seq = seq;
    return *this;
  }
  query& since(TimeMs when) {
    q_.since = when;
    return *this;
  }
  operator HistoryQuery() const { return q_; }  // NOLINT(google-explicit-constructor): reads naturally

 private:
  HistoryQuery q_;
};

}  // namespace parley::test
