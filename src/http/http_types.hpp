// What REST handlers see and return: a parsed request and a reply, free of Beast types so
// handlers read like the API they implement.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/api_error.hpp"

namespace parley {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct HttpRequest {
  boost::beast::http::verb method;
  std::string path;  // without the query string, percent-decoded
  std::unordered_map<std::string, std::string> query;
  std::string body;
  std::string authorization;  // the Authorization header
  std::string client_address;

  // The query parameter or nullptr.
  const std::string* param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? nullptr : &it->second;
  }
};

struct HttpReply {
  HttpReply() = default;
  HttpReply(int status_code, std::string body_text) : status(status_code), body(std::move(body_text)) {}

  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
};

HttpReply json_reply(int status, std::string body);
HttpReply error_reply(const ApiError& error);
HttpReply no_content();

// The token of an "Authorization: Bearer <token>" header (scheme case-insensitive); empty if none.
std::string_view bearer_token(std::string_view authorization);

// Splits "/a/b?x=1&y=%20" into a decoded path and decoded parameters. False when the
// percent-encoding is broken or decodes to invalid UTF-8.
bool parse_target(std::string_view target, std::string& path, std::unordered_map<std::string, std::string>& query);
// Splits "/api/rooms/7/join" into {"api","rooms","7","join"}.
std::vector<std::string_view> path_segments(std::string_view path);

}  // namespace parley
