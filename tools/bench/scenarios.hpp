// The scenarios over an Engine whose clients are not connected yet: connections (idle),
// fanout (the --rate steps) and ramp (steps growing by --ramp-factor until one fails).
#pragma once

#include "engine.hpp"

namespace parley::bench {

// Returns the process exit code: 0 when the run completed (a failing step is a result, not an
// error), 2 when clients failed to connect under load scenarios.
int run_scenario(Engine& e, const Options& o, double setup_s);

}  // namespace parley::bench
