#!/usr/bin/env bash
# Sets up (Debian packages), builds, and runs the whole test suite with CTest: unit and
# end-to-end tests, and every scenario in scenarios/ through `delegsim check`.
# scripts/test.sh --sanitize does the same in an AddressSanitizer + UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build=$(bash scripts/build.sh "$@")
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The real-KDC interop tests (label interop) provision a Samba domain, about 90 s; they run
# in the normal build only: the sanitizers add nothing to what the real KDCs answer.
exclude=()
if [[ "${1:-}" == "--sanitize" ]]; then exclude+=(-LE interop); fi
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 300 "${exclude[@]}"
