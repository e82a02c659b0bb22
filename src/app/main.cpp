// parley: the chat server. `parley serve [options]`; `parley serve --help` lists every setting.
#include <spdlog/spdlog.h>

#include <cstring>
#include <iostream>

#include "app/config.hpp"
#include "app/server.hpp"

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "serve") != 0) {
    std::cerr << "usage: parley serve [--listen HOST:PORT] [--data-dir DIR] [--help for every setting]\n";
    return 2;
  }
  try {
    parley::Config config = parley::parse_serve_args(argc - 1, argv + 1);
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    parley::Server server(std::move(config));
    return server.run();
  } catch (const std::exception& e) {
    spdlog::critical("parley: {}", e.what());
    return 1;
  }
}
