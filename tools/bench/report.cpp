#include "report.hpp"

#include <cmath>

#include "util/json_writer.hpp"

namespace parley::bench {

std::string Record::json() const {
  JsonWriter w;
  w.begin_object();
  for (const auto& [key, v] : fields_) {
    w.key(key);
    if (const auto* d = std::get_if<double>(&v)) {
      if (std::isfinite(*d)) {
        w.value(std::round(*d * 1000) / 1000);
      } else {
        w.null();
      }
    } else if (const auto* i = std::get_if<long long>(&v)) {
      w.value(static_cast<std::int64_t>(*i));
    } else if (const auto* b = std::get_if<bool>(&v)) {
      w.value(*b);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      w.value(*s);
    } else {
      w.null();
    }
  }
  w.end_object();
  return w.take();
}

void emit_json(const Options& o, const Record& r) {
  const std::string line = r.json() + "\n";
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
  if (!o.out.empty()) {
    if (std::FILE* f = std::fopen(o.out.c_str(), "a")) {
      std::fputs(line.c_str(), f);
      std::fclose(f);
    } else {
      std::fprintf(stderr, "parley-bench: cannot append to %s\n", o.out.c_str());
    }
  }
}

}  // namespace parley::bench
