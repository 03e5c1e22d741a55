#!/usr/bin/env bash
# Builds the .deb with CPack from the build tree, unpacks it into a clean temporary root
# (dpkg-deb -x: nothing is installed on the system) and runs the packaged binary from
# there: --version, and a scenario of the packaged library. Also checks `cmake --install`
# into a clean prefix. Exit 77 (skipped) when dpkg-deb or cpack is missing.
# Usage: deb_test.sh BUILD_DIR
set -euo pipefail
build=$1
for tool in dpkg-deb cpack; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIPPED: $tool is missing (a Debian tool); the package test needs it"
    exit 77
  fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. cmake --install into a clean prefix.
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "cmake --install"; }
for f in bin/delegsim share/bash-completion/completions/delegsim share/delegsim/scenario.schema.json \
         share/delegsim/scenarios/two-hop.json share/doc/delegsim/README.md \
         share/doc/delegsim/sources.md; do
  [[ -f "$work/prefix/$f" ]] || fail "cmake --install did not install $f"
done
if command -v help2man >/dev/null; then
  [[ -f "$work/prefix/share/man/man1/delegsim.1" ]] || fail "no man page installed"
  grep -q 'delegsim run' "$work/prefix/share/man/man1/delegsim.1" || fail "man page lacks the commands"
fi
bash -n "$work/prefix/share/bash-completion/completions/delegsim" || fail "completion script syntax"

# 2. The .deb, unpacked into an empty root.
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack -G DEB"; }
deb=$(ls "$work"/pkg/delegsim_*.deb 2>/dev/null | head -1)
[[ -n "$deb" ]] || { cat "$work/cpack.log"; fail "no .deb produced"; }
echo "package: $(basename "$deb")"
info=$(dpkg-deb --info "$deb")
grep -E '^ (Package|Version|Depends):' <<<"$info"
grep -q '^ Depends: .*libprotobuf' <<<"$info" || fail "Depends does not name libprotobuf"
dpkg-deb -x "$deb" "$work/root"
bin="$work/root/usr/bin/delegsim"
[[ -x "$bin" ]] || fail "the package has no usr/bin/delegsim"
[[ -f "$work/root/usr/share/bash-completion/completions/delegsim" ]] || fail "no bash completion"
[[ -f "$work/root/usr/share/delegsim/scenario.schema.json" ]] || fail "no JSON Schema"

version=$("$bin" --version)
echo "$version"
version_pattern='^delegsim [0-9]+\.[0-9]+\.[0-9]+ \(commit ([0-9a-f]+(-dirty)?|unknown)\)$'
[[ "$version" =~ $version_pattern ]] || fail "--version: $version"
"$bin" run "$work/root/usr/share/delegsim/scenarios/two-hop.json" --runtime virtual --no-color \
  >"$work/run.txt" || { cat "$work/run.txt"; fail "the packaged scenario did not pass"; }
grep -q 'expectations: 3 passed, 0 failed' "$work/run.txt" || { cat "$work/run.txt"; fail "report"; }
echo "ok: installed from the .deb into a clean root, --version and two-hop.json ran"
