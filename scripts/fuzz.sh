#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, ASan + UBSan, in build-fuzz/) and runs
# each for a while. Usage:
#   scripts/fuzz.sh                 # the long run: each target for 1 hour (FUZZ_SECONDS)
#   scripts/fuzz.sh --smoke         # CI: each target for 20 s
#   scripts/fuzz.sh --seconds N [TARGET...]   # TARGET: scenario, frame, node
# Corpora grow in build-fuzz/corpus/TARGET (seeded from scenarios/, tests/loader/data and
# frames and envelopes of library runs); a crash is written to build-fuzz/crashes/ and the
# script exits 1. Make each crash a regression test: copy it to fuzz/regressions/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-3600}"
targets=()
while (($#)); do
  case "$1" in
    --smoke) seconds=20 ;;
    --seconds) seconds="$2"; shift ;;
    scenario|frame|node) targets+=("$1") ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
((${#targets[@]})) || targets=(scenario frame node)

bash scripts/setup.sh
build=build-fuzz
args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DDELEGSIM_FUZZ=ON -DDELEGSIM_BUILD_TESTS=OFF
      -DDELEGSIM_BUILD_BENCH=OFF -DDELEGSIM_JEMALLOC=OFF
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
if command -v ccache >/dev/null; then args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build" "${args[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target scenario_fuzzer frame_fuzzer node_fuzzer fuzz_seeds >&2

mkdir -p "$build/crashes" "$build/seeds"
"$build/fuzz/fuzz_seeds" "$build/seeds" scenarios/*.json >&2
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  dict=()
  case "$t" in
    scenario) seeds=(scenarios tests/loader/data); dict=(-dict=fuzz/scenario.dict) ;;
    frame) seeds=("$build/seeds/frame") ;;
    node) seeds=("$build/seeds/node") ;;
  esac
  # Inputs that once crashed (tests/fuzz replays them) seed the search too.
  [[ -d fuzz/regressions/$t ]] && seeds+=("fuzz/regressions/$t")
  echo "fuzz.sh: $t for ${seconds}s" >&2
  # -timeout: one input may take at most 10 s (a hang is a bug); -rss_limit_mb: memory.
  if ! "$build/fuzz/${t}_fuzzer" "$corpus" "${seeds[@]}" "${dict[@]}" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$build/crashes/$t-" -print_final_stats=1 2>"$build/$t.log"; then
    echo "fuzz.sh: $t found a crash (see $build/$t.log, inputs in $build/crashes/)" >&2
    tail -40 "$build/$t.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/$t.log" | sed "s/^/fuzz.sh: $t /" >&2
  fi
done
exit $status
