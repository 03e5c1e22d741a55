#!/usr/bin/env bash
# Installs what delegsim needs to build and test on Debian 12, as root.
# Idempotent: when every package is present it only checks and returns (well under a second).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libasio-dev                          # standalone Asio: the TCP runtime (net/)
  libprotobuf-dev protobuf-compiler    # the wire format (proto/)
  nlohmann-json3-dev                   # scenario files (sim/)
  libgtest-dev libgmock-dev            # tests
  libbenchmark-dev                     # bench/: delegsim-mac-bench (Google Benchmark)
  libssl-dev                           # HMAC-SHA256 ticket seals and HKDF key derivation, EVP_MAC/EVP_KDF (kdc/)
  libcli11-dev                         # command-line parsing (cli/)
  libjemalloc-dev                      # allocator for the delegsim and bench executables
  python3 python3-jsonschema           # validates scenarios/ against the JSON Schema
  clang-format tmux                    # formatting check; terminal tests of `delegsim step`
  libedit-dev                          # line editing and tab completion at the `delegsim step` prompt (cli/)
  help2man                             # the delegsim(1) man page, generated from --help at build time
  libzip-dev                           # reads SharpHound collector zips (importer/)
  graphviz                             # `dot`: tests render every `delegsim export` graph
  libxml2-dev                          # writes the JUnit report of `delegsim check` (cli/)
  clang libclang-rt-14-dev             # libFuzzer targets (fuzz/, scripts/fuzz.sh)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run this script as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
