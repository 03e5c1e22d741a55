#!/usr/bin/env bash
# The HTML reports in a real browser: headless Chromium (Debian `chromium`) opens the
# report of `delegsim run --html` and of `delegsim reach --html` with the network off,
# and the test reads the DOM Chromium rendered:
#   - the hop tree with its verdicts, the decisions with their facts and rules, the
#     sequence diagram as inline SVG, the expectations, the rule glossary;
#   - a scenario whose names are HTML (hostile input) shows them as text: no element,
#     script or attribute of theirs exists in the DOM;
#   - no console message at all: a Content-Security-Policy violation (a fetch or a script
#     the page attempted) or a script error would be one;
#   - a screenshot of each report is kept under build/artifacts/html-report/ for CI.
# Skips (exit 77) with a message when chromium is not installed; scripts/setup.sh installs it.
# Usage: html_browser_test.sh DELEGSIM SOURCE_DIR ARTIFACT_DIR
set -uo pipefail
delegsim=$1
src=$2
artifacts=$3

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
  echo "SKIP: chromium is not installed (scripts/setup.sh installs it); the HTML report was not checked in a browser"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# Network off: a network namespace of its own when we may create one (root), and in any
# case a resolver that resolves nothing and a proxy on a closed port.
netns=()
if unshare -n true 2>/dev/null; then netns=(unshare -n); fi

# chromium_render NAME FILE: writes NAME.dom, NAME.log and NAME.png into $work.
chromium_render() {
  local name=$1 file=$2
  local flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
               --disable-extensions --disable-background-networking --disable-sync
               --user-data-dir="$work/profile-$name" --host-resolver-rules="MAP * ~NOTFOUND"
               --proxy-server="127.0.0.1:9" --enable-logging=stderr --v=0
               --window-size=1280,2000 --hide-scrollbars)
  timeout 60 "${netns[@]}" "$browser" "${flags[@]}" --dump-dom "file://$file" \
    >"$work/$name.dom" 2>"$work/$name.log" || fail "$name: chromium --dump-dom failed ($?)"
  timeout 60 "${netns[@]}" "$browser" "${flags[@]}" --screenshot="$work/$name.png" "file://$file" \
    >/dev/null 2>>"$work/$name.log" || fail "$name: chromium --screenshot failed ($?)"
  if [[ -s "$work/$name.png" ]]; then
    cp "$work/$name.png" "$artifacts/$name.png"
  else
    fail "$name: no screenshot"
  fi
  cp "$file" "$artifacts/$name.html"
  cp "$work/$name.dom" "$artifacts/$name.dom.html"
  # Console messages (CSP violations, script errors, failed loads) are logged as CONSOLE.
  if grep -E ':CONSOLE[(:]|Content Security Policy|Refused to|net::ERR_' "$work/$name.log" >"$work/$name.console"; then
    fail "$name: the page logged console messages:"
    cat "$work/$name.console"
  fi
}

# expect NAME PATTERN WHAT: the rendered DOM of NAME contains PATTERN (grep -E).
expect() {
  grep -qE -- "$2" "$work/$1.dom" || fail "$1: the DOM lacks $3 (/$2/)"
}
# refuse NAME PATTERN WHAT: the rendered DOM of NAME does not contain PATTERN.
refuse() {
  if grep -qiE -- "$2" "$work/$1.dom"; then fail "$1: the DOM has $3 (/$2/)"; fi
}

# 1. A run: the two-hop chain with its events.
"$delegsim" run "$src/scenarios/two-hop.json" --runtime virtual --events --html "$work/run.html" \
  >"$work/run.out" 2>&1 || fail "run --html exited $?: $(cat "$work/run.out")"
chromium_render run "$work/run.html"
expect run '<li class="hop allowed" data-path="c1/web" data-verdict="allowed">' "the allowed hop c1/web"
expect run 'data-path="c1/web/db" data-verdict="allowed"' "the allowed hop c1/web/db"
expect run '<span class="verdict allowed">ALLOWED</span>' "a verdict badge"
expect run 'href="#rule-UD-3"' "a link to rule UD-3"
expect run '<dt id="rule-UD-3">UD-3' "the glossary entry of UD-3"
expect run '<div class="diagram sequence"><svg' "the sequence diagram as inline SVG"
expect run 'TGS-REQ' "the TGS exchange in the sequence diagram"
expect run 'Expectations: 3 passed, 0 failed' "the expectations heading"
expect run '<table class="checks">' "a decision's checks"
expect run 'svc_web\.trusted_for_delegation=true|trusted_for_delegation=true' "a fact read"
expect run '4769 A Kerberos service ticket was requested' "the predicted 4769 event"
refuse run '<script' "a script element"

# 2. Hostile names: markup in the scenario's name, description, a user and a service.
hostile='<img src onerror alert(1)>'
python3 - "$src/scenarios/two-hop.json" "$work/hostile.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["name"] = "</title><script>alert(0)</script>"
s["description"] = "<b onmouseover=alert(1)>bold</b> & <iframe srcdoc=x>"
evil = "<img src onerror alert(1)>"
for a in s["accounts"]:
    if a["name"] == "alice": a["name"] = evil
s["objects"][0]["acl"][0]["allow"] = evil
s["steps"][0]["user"] = evil
s["services"][1]["name"] = "<svg onload alert(2)>"
s["steps"][0]["then"][0]["call"] = "<svg onload alert(2)>"
s["expect"] = [{"path": "c1/web", "verdict": "allowed"}]
json.dump(s, open(sys.argv[2], "w"))
PY
"$delegsim" run "$work/hostile.json" --runtime virtual --html "$work/hostile.html" \
  >"$work/hostile.out" 2>&1 || fail "run --html on the hostile scenario exited $?: $(cat "$work/hostile.out")"
chromium_render hostile "$work/hostile.html"
# The rendered DOM, parsed: no element the names could have created, no event handler.
python3 - "$work/hostile.dom" >"$work/hostile.elements" <<'PY' || fail "hostile: $(cat "$work/hostile.elements")"
import sys
from html.parser import HTMLParser
bad = []
class Check(HTMLParser):
    def handle_starttag(self, tag, attrs):
        if tag in ("script", "img", "iframe", "object", "embed", "link", "iframe"):
            bad.append("a <%s> element" % tag)
        for name, _ in attrs:
            if name.startswith("on"):
                bad.append("an %s attribute on <%s>" % (name, tag))
Check().feed(open(sys.argv[1], encoding="utf-8").read())
print("; ".join(bad) if bad else "no element or handler from the names")
sys.exit(1 if bad else 0)
PY
expect hostile '&lt;img src onerror alert\(1\)&gt;' "the hostile user name as text"
expect hostile '&lt;svg onload alert\(2\)&gt;' "the hostile service name as text"
expect hostile '<title>delegsim run: &lt;/title&gt;&lt;script&gt;' "the hostile scenario name as the title's text"

# 3. reach --html: the RBCD design of the library.
"$delegsim" reach "$src/scenarios/rbcd-resource-decides-who-may-delegate.json" --identity alice \
  --quiet --html "$work/reach.html" >"$work/reach.out" 2>&1 || fail "reach --html exited $?: $(cat "$work/reach.out")"
chromium_render reach "$work/reach.html"
expect reach '<tr class="flow" data-mechanism="rbcd">' "an rbcd flow"
expect reach 'href="#rule-RB-1"' "a link to RB-1"
expect reach '<div class="diagram graph"><svg' "the delegation graph with the flows"
refuse reach '<script' "a script element"

if ((failures > 0)); then
  echo "$failures check(s) failed; the reports, DOMs and screenshots are in $artifacts"
  exit 1
fi
echo "PASS: run, hostile and reach reports render in Chromium with no console message; screenshots in $artifacts"
