// Thin RAII layer over the SQLite C API: a connection, its cached prepared statements, a
// scoped use of one statement, and a transaction guard. It knows nothing about Parley's schema.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace parley {

// Any failure of the store. what() carries SQLite's message: log it, never send it to a client.
class StoreError : public std::runtime_error {
 public:
  explicit StoreError(const std::string& what, int code = 0) : std::runtime_error(what), code_(code) {}
  // SQLite extended result code (e.g. SQLITE_CONSTRAINT_UNIQUE), 0 when not from SQLite.
  int code() const noexcept { return code_; }

 private:
  int code_;
};

namespace sqlite {

// One prepared statement. Owned by a Connection's cache; used through Query.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* handle() const noexcept { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// A scoped use of a cached statement: bind, step, read columns; resets the statement and
// clears its bindings when it goes out of scope, so the next user finds it clean.
// Bind indexes and column indexes follow SQLite: binds start at 1, columns at 0.
class Query {
 public:
  Query(sqlite3* db, Statement& statement) noexcept : db_(db), stmt_(statement.handle()) {}
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(int index, std::int64_t value);
  Query& bind(int index, int value) { return bind(index, std::int64_t{value}); }
  Query& bind(int index, double value);
  Query& bind(int index, std::string_view text);  // copied by SQLite (SQLITE_TRANSIENT)
  Query& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Query& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Query& bind(int index, const std::optional<std::string>& text);    // nullopt binds NULL
  Query& bind(int index, const std::optional<std::int64_t>& value);  // nullopt binds NULL
  Query& bind(int index, const std::optional<int>& value);           // nullopt binds NULL
  Query& bind(int index, const std::optional<double>& value);        // nullopt (and NaN) bind NULL
  Query& bind_null(int index);

  // True when a row is available, false when done. Throws StoreError (with the extended
  // result code) on failure, so callers can tell a constraint violation from I/O errors.
  bool step();
  // Steps a statement that returns no rows.
  void run();

  std::int64_t int64(int column) const;
  bool boolean(int column) const { return int64(column) != 0; }
  std::string text(int column) const;  // "" for NULL
  bool is_null(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  std::optional<std::string> optional_text(int column) const;
  double real(int column) const;
  std::optional<double> optional_real(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// One sqlite3 connection. Not thread-safe by itself: the owner makes sure only one thread uses
// it at a time (the store's write mutex, or the read pool's lease).
class Connection {
 public:
  // flags: SQLITE_OPEN_* (NOMUTEX is added: serialisation is the owner's job).
  Connection(const std::string& path, int flags);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without results (schema, pragmas, BEGIN/COMMIT).
  void exec(const char* sql);
  // Runs a single-value query such as "PRAGMA user_version".
  std::int64_t query_int64(const char* sql);
  // A query on the statement prepared once for this exact SQL text and cached for the
  // connection's lifetime. A statement must not be used twice at once (no nesting the same SQL).
  Query query(std::string_view sql);

  std::int64_t last_insert_rowid() const;
  int changes() const;
  sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back if destroyed before commit() (an exception unwound it).
// IMMEDIATE takes the write lock up front so a transaction never fails half-way on upgrade.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

// Connections for readers. A reader leases one for the duration of a call and uses it alone;
// under WAL a reader works on its own snapshot and never waits for the writer. Connections are
// opened on demand (so there are as many as concurrent readers) and kept for reuse, prepared
// statements included, up to max_idle.
class ConnectionPool {
 public:
  using Setup = std::function<void(Connection&)>;  // pragmas for each new connection

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection) noexcept
        : pool_(&pool), connection_(std::move(connection)) {}
    ~Lease();
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Connection& operator*() const noexcept { return *connection_; }
    Connection* operator->() const noexcept { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  ConnectionPool(std::string path, int flags, Setup setup, std::size_t max_idle);
  Lease acquire();

 private:
  void give_back(std::unique_ptr<Connection> connection);

  const std::string path_;
  const int flags_;
  const Setup setup_;
  const std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace sqlite
}  // namespace parley
