#!/usr/bin/env bash
# Configures and builds delegsim. Usage: scripts/build.sh [--sanitize] ; prints the build dir.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DDELEGSIM_WERROR=ON)
if [[ "${1:-}" == "--sanitize" ]]; then
  build=build-asan
  args=(-DCMAKE_BUILD_TYPE=Debug -DDELEGSIM_SANITIZE=ON -DDELEGSIM_WERROR=ON -DDELEGSIM_BUILD_BENCH=OFF)
fi
# A compiler cache, when the machine has one, makes rebuilds of unchanged files instant.
if command -v ccache >/dev/null; then args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build" "${args[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" >&2
echo "$build"
