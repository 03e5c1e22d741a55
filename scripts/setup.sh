#!/usr/bin/env bash
# Installs what delegsim needs to build and test on Debian 12, as root.
# Idempotent: when every package is present it only checks and returns (well under a second).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libasio-dev                          # standalone Asio: the TCP runtime (net/)
  libprotobuf-dev protobuf-compiler    # the wire format (proto/)
  nlohmann-json3-dev                   # scenario files (sim/)
  libvalijson-dev                      # validates scenario files against docs/scenario.schema.json (sim/schema_check.cc)
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
  graphviz                             # `dot`: tests render every export graph; the HTML report's SVG (diagrams/svg.cc)
  chromium                             # headless browser: the test that opens the HTML reports (tests/report)
  libxml2-dev                          # writes the JUnit report of `delegsim check` (cli/)
  iproute2                             # `ip`: the netns runtime wires its namespaces, veths and bridge (net/netns.cc)
  clang libclang-rt-14-dev             # libFuzzer targets (fuzz/, scripts/fuzz.sh)
  # tests/interop: real KDCs as a test oracle, provisioned and stopped by the tests themselves
  krb5-kdc                             # a real MIT krb5 KDC (krb5kdc, kdb5_util), db2 database in a temp folder
  krb5-admin-server                    # kadmin.local, to make the MIT principals (kadmind is never started)
  krb5-user                            # the MIT client tools the tests ask with: kinit, kvno -U/-P, ktutil
  libkrb5-dev                          # GSS-API headers and pkg-config for tests/interop/gss_probe
  samba samba-dsdb-modules             # a Samba AD DC run with only its KDC service (samba-tool provision)
  samba-ad-provision samba-vfs-modules # provision templates; acl_xattr, which provision needs for sysvol
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
# krb5-kdc, krb5-admin-server and samba ship daemons that their install would start
# (listening on every interface). The tests start their own, on 127.0.0.1 only, so the
# packages' services are neither started (policy-rc.d, Debian's mechanism, only while
# installing and only if the machine has none) nor enabled, for packages installed here.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if command -v systemctl >/dev/null; then
  for p in "${missing[@]}"; do
    case $p in
      krb5-kdc) units=(krb5-kdc) ;;
      krb5-admin-server) units=(krb5-admin-server) ;;
      samba) units=(smbd nmbd samba-ad-dc) ;;
      *) units=() ;;
    esac
    for unit in "${units[@]}"; do systemctl disable --now "$unit" >/dev/null 2>&1 || true; done
  done
fi
echo "setup: done"
