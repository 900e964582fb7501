#!/usr/bin/env bash
# Installs every Debian 12 package Northstar needs to build, test, fuzz and benchmark.
# Idempotent: packages already present are left alone. This is the project's only install step.
set -euo pipefail

packages=(
  # Toolchains and build.
  build-essential g++ clang libclang-rt-14-dev cmake ninja-build git pkg-config ccache
  # Libraries.
  libabsl-dev libboost-context-dev libboost-program-options-dev libtomlplusplus-dev
  liburing-dev libxxhash-dev libgtest-dev libgmock-dev nlohmann-json3-dev
  # Test tools: xmllint checks that the JUnit XML torture writes is well formed.
  libxml2-utils
  # Peer engines for `northstar bench peers`, and strace to cross-check their sync counts.
  liblmdb-dev libsqlite3-dev librocksdb-dev strace
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
echo "setup: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
