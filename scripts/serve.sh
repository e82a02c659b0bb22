#!/usr/bin/env bash
# Builds the release binary and runs the server on its embedded default:
# 0.0.0.0:8080, data in ./data (SQLite). Extra arguments go to `parley serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# ccache hits across clones (CI builds a fresh clone): paths relative to the checkout.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1
cmake --preset release >/dev/null
cmake --build --preset release --target parley -j "$(nproc)"
exec ./build/release/parley serve "$@"
