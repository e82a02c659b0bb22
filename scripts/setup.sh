#!/usr/bin/env bash
# Installs what building Parley needs on Debian 12, skipping what is present; `setup.sh test`
# also installs what only the tests run. Called by scripts/serve.sh and scripts/test.sh; safe to
# run again.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache git clang-format
  libboost1.81-dev libssl-dev libsqlite3-dev libsodium-dev libjwt-dev
  libsimdjson-dev libspdlog-dev libfmt-dev libcli11-dev libmagic-dev libvips-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
if [[ "${1:-}" == test ]]; then
  packages+=(
    openssl   # the TLS tests make their own CA and certificates
    tmux      # the parley-cli tests drive `chat` through a terminal
    chromium  # the browser tests drive Debian's build; none is ever downloaded
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Node.js may come from Debian (nodejs + npm) or from a nodejs package that bundles npm:
# only ask apt for them when the commands are missing.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
