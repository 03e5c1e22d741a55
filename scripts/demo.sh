#!/usr/bin/env bash
# Sets up (Debian packages), builds, and runs the default scenario walk-through over
# loopback TCP. Extra arguments go to `delegsim run` (e.g. --runtime virtual, --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build=$(bash scripts/build.sh)
exec "$build/cli/delegsim" run scenarios/default.json "$@"
