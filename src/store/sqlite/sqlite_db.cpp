#include "store/sqlite/sqlite_db.hpp"

#include <sqlite3.h>

#include <spdlog/spdlog.h>

namespace parley::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view context) {
  const int code = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw StoreError(std::string(context) + ": " + message, code);
}

}  // namespace

// ---- Statement

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  // PERSISTENT: these statements live as long as the connection, SQLite places them accordingly.
  const int rc =
      sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "prepare");
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

// ---- Query

Query::~Query() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query& Query::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

Query& Query::bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

Query& Query::bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

Query& Query::bind(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

Query& Query::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Query& Query::bind(int index, const std::optional<int>& value) {
  return value ? bind(index, std::int64_t{*value}) : bind_null(index);
}

Query& Query::bind(int index, const std::optional<double>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Query& Query::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

bool Query::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, rc, "step");
}

void Query::run() {
  while (step()) {
  }
}

std::int64_t Query::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Query::text(int column) const {
  const auto* bytes = sqlite3_column_text(stmt_, column);
  if (bytes == nullptr) return {};
  // column_bytes after column_text: the documented order that returns the UTF-8 length.
  return std::string(reinterpret_cast<const char*>(bytes),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Query::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::optional<std::int64_t> Query::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::optional<std::string> Query::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

double Query::real(int column) const {
  return sqlite3_column_double(stmt_, column);
}

std::optional<double> Query::optional_real(int column) const {
  if (is_null(column)) return std::nullopt;
  return real(column);
}

// ---- Connection

Connection::Connection(const std::string& path, int flags) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    // sqlite3_open_v2 hands back a handle even on failure (for the message); close it too.
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("open " + path + ": " + message, rc);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
  statements_.clear();  // every statement must be finalized before the connection closes
  if (sqlite3_close(db_) != SQLITE_OK) spdlog::error("sqlite close: {}", sqlite3_errmsg(db_));
}

void Connection::exec(const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    const std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw StoreError(std::string("exec: ") + message, sqlite3_extended_errcode(db_));
  }
}

std::int64_t Connection::query_int64(const char* sql) {
  Statement statement(db_, sql);
  Query q(db_, statement);
  if (!q.step()) throw StoreError(std::string("no result for: ") + sql);
  return q.int64(0);
}

Query Connection::query(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    found = statements_.emplace(std::string(sql), std::make_unique<Statement>(db_, sql)).first;
  }
  return Query(db_, *found->second);
}

std::int64_t Connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_);
}

int Connection::changes() const {
  return sqlite3_changes(db_);
}

// ---- Transaction

Transaction::Transaction(Connection& connection) : connection_(connection) {
  connection_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (done_) return;
  // After some errors (e.g. SQLITE_FULL, SQLITE_IOERR) SQLite has already rolled back itself.
  if (sqlite3_get_autocommit(connection_.handle()) != 0) return;
  try {
    connection_.exec("ROLLBACK");
  } catch (const StoreError& e) {
    spdlog::error("sqlite rollback failed: {}", e.what());
  }
}

void Transaction::commit() {
  connection_.exec("COMMIT");
  done_ = true;
}

// ---- ConnectionPool

ConnectionPool::ConnectionPool(std::string path, int flags, Setup setup, std::size_t max_idle)
    : path_(std::move(path)), flags_(flags), setup_(std::move(setup)), max_idle_(max_idle) {}

ConnectionPool::Lease ConnectionPool::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  // Opened outside the lock: opening touches the file system and must not stall other readers.
  auto connection = std::make_unique<Connection>(path_, flags_);
  if (setup_) setup_(*connection);
  return Lease(*this, std::move(connection));
}

void ConnectionPool::give_back(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle_) {
      idle_.push_back(std::move(connection));
      return;
    }
  }
  // Surplus connection (a burst of readers): closed here, outside the lock.
}

ConnectionPool::Lease::~Lease() {
  if (connection_) pool_->give_back(std::move(connection_));
}

}  // namespace parley::sqlite
