#!/usr/bin/env bash
# Builds and runs every test: unit and integration tests on the release build, then the same
# suites on the ASan+UBSan build. `scripts/test.sh release` (or `asan`) runs one build only.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh test
# ccache hits across clones (CI builds a fresh clone): paths relative to the checkout.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
# The integration tests drive the server with the `ws` client library from npm.
if [[ ! -d tests/integration/node_modules ]]; then
  (cd tests/integration && npm ci --no-audit --no-fund --loglevel=error)
fi
# The browser tests drive Debian's chromium with playwright-core (no browser download).
if [[ ! -d tests/browser/node_modules/playwright-core ]]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "=== format: clang-format --dry-run (fix with: clang-format -i <files>)"
git ls-files -z 'src/*.cpp' 'src/*.hpp' 'client/*.cpp' 'client/*.hpp' 'examples/*.cpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 'tools/*.cpp' 'tools/*.hpp' | xargs -0 clang-format --dry-run --Werror

presets=("$@")
((${#presets[@]})) || presets=(release asan)
# Many connections per test: make sure the descriptor limit is not the thing under test.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

jobs=$(nproc)
for preset in "${presets[@]}"; do
  echo "=== ${preset}: build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== ${preset}: test"
  # Sanitizer findings must fail the run, not just print.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset "$preset" -j "$jobs"
done
