// Errors as values: an operation that can fail in a way the client must hear about returns
// Result<T>, holding either its value or the ApiError to send back. Exceptions stay for the
// unexpected (store failures, out of memory), which the transport maps to 500.
//
//   Result<Room> r = rooms.create(...);
//   if (!r.ok()) return reply(r.error());
//   use(r.value());
//
// Both constructors are implicit on purpose, so a function can `return room;` or
// `return ApiError::not_found();`. Calling value() on an error (or error() on a value) is a
// programming bug and throws std::bad_variant_access.
#pragma once

#include <utility>
#include <variant>

#include "protocol/api_error.hpp"

namespace parley {

// E is the error type: ApiError (what a client is told) unless a layer below the protocol has
// its own, such as ImageError in media/image.hpp.
template <class T, class E = ApiError>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }

  const E& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

// For operations that succeed with nothing to say: `return ok_result();` or an ApiError.
template <>
class [[nodiscard]] Result<void, ApiError> {
 public:
  Result() = default;
  Result(ApiError error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }

  const ApiError& error() const {
    if (!failed_) throw std::bad_variant_access();
    return error_;
  }

 private:
  ApiError error_;
  bool failed_ = false;
};

inline Result<void> ok_result() {
  return {};
}

}  // namespace parley
