// Output: one JSON line per step (stdout, and appended to --out) and a human-readable table row
// per step on stderr.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "options.hpp"

namespace parley::bench {

// An ordered list of fields; numbers are rounded for print, null when not finite.
class Record {
 public:
  Record& add(std::string key, double v) { return put(std::move(key), v); }
  Record& add(std::string key, long long v) { return put(std::move(key), v); }
  Record& add(std::string key, int v) { return put(std::move(key), static_cast<long long>(v)); }
  Record& add(std::string key, unsigned long long v) { return put(std::move(key), static_cast<long long>(v)); }
  Record& add(std::string key, unsigned long v) { return put(std::move(key), static_cast<long long>(v)); }
  Record& add(std::string key, bool v) { return put(std::move(key), v); }
  Record& add(std::string key, std::string v) { return put(std::move(key), std::move(v)); }
  Record& add(std::string key, const char* v) { return put(std::move(key), std::string(v)); }
  Record& null(std::string key) { return put(std::move(key), std::monostate{}); }
  std::string json() const;

 private:
  using Value = std::variant<std::monostate, double, long long, bool, std::string>;
  Record& put(std::string key, Value v) {
    fields_.emplace_back(std::move(key), std::move(v));
    return *this;
  }
  std::vector<std::pair<std::string, Value>> fields_;
};

void emit_json(const Options& o, const Record& r);

}  // namespace parley::bench
