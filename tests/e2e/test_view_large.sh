#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_view_large.sh - leak-view's size target: a one-hour trace with 20,000 stacks (3,600
# snapshots, from bench/gen_trace.c, the benchmark's generator, over real ELF modules) makes a
# page under 10 MB, and the page says what it cut (timeline buckets, merged flame-graph
# stacks, findings listed of the total). With chromium installed, the page must finish drawing
# without a script error, the whole browser run (start, load, draw, dump) staying within
# LARGE_PAGE_LIMIT_S (default 20 s on this shared 2-core machine; typically 3-5 s).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

LEAK_VIEW=$BUILD_ABS/leak-view
need "$LEAK_VIEW"
top=$(cd "$(dirname "$0")/../.." && pwd)

note "generate the synthetic one-hour trace"
gcc -std=gnu11 -O2 -g -Wall -Wextra -pthread -I"$top/common" -o "$TMP/gen_trace" \
	"$top/bench/gen_trace.c" -lzstd
libc=$(realpath "$(gcc -print-file-name=libc.so.6)")
timeout "$T_LIMIT" "$TMP/gen_trace" --snapshots 3600 --stacks 20000 -o "$TMP/syn.lkt" \
	"$TMP/gen_trace" "$libc" >/dev/null

note "leak-view on it"
start=$(date +%s%N)
timeout "$T_LIMIT" "$LEAK_VIEW" "$TMP/syn.lkt" -o "$TMP/big.html" 2>"$TMP/view.err" ||
	fail "leak-view failed: $(cat "$TMP/view.err")"
ms=$((($(date +%s%N) - start) / 1000000))
size=$(stat -c %s "$TMP/big.html")
note "page: $size bytes, written in $ms ms"
[ "$size" -lt $((10 * 1024 * 1024)) ] || fail "page is $size bytes, over 10 MB"
# The data the page draws is capped, and says so.
python3 - "$TMP/big.html" <<'EOF'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
def data(i):
    m = re.search(r'<script type="application/json" id="%s">(.*?)</script>' % i, html, re.S)
    return json.loads(m.group(1))
rep, ser = data("report-data"), data("series-data")
p, s = rep["processes"][0], ser["processes"][0]
def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)
if p["snapshots"] != 3600 or s["snapshots"] != 3600: fail("expected 3600 snapshots: %s" % p["snapshots"])
if not 0 < len(s["t"]) <= 2000: fail("timeline points %d, expected at most 2000" % len(s["t"]))
if len(p["findings"]) != 200 or p["findings_total"] <= 200:
    fail("findings listed %d of %d, expected the first 200" % (len(p["findings"]), p["findings_total"]))
fl = s["flame_live"]
if len(fl["stacks"]) != 3000 or fl["cut_stacks"] <= 0: fail("flame stacks %d, cut %d" % (len(fl["stacks"]), fl["cut_stacks"]))
if sum(fl["values"]) + fl["cut_value"] != fl["total"]: fail("flame values plus the cut do not add up to the total")
print("--- %d points for %d snapshots, %d of %d findings, %d flame stacks + %d merged" % (
    len(s["t"]), s["snapshots"], len(p["findings"]), p["findings_total"], len(fl["stacks"]), fl["cut_stacks"]))
EOF

chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
	echo "SKIP: browser check: chromium not installed (Debian package chromium)"
	exit 0
fi
note "open it in headless Chromium"
start=$(date +%s%N)
timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --user-data-dir="$TMP/profile" \
	--window-size=1300,1000 --virtual-time-budget=5000 --dump-dom "file://$TMP/big.html" \
	>"$TMP/dom.html" 2>"$TMP/chrome.err" || fail "chromium failed: $(tail -c 500 "$TMP/chrome.err")"
ms=$((($(date +%s%N) - start) / 1000000))
note "browser start + load + draw + dump: $ms ms"
grep -q 'data-error=' "$TMP/dom.html" && fail "script error: $(grep -o 'data-error="[^"]*"' "$TMP/dom.html")"
grep -q 'data-ready="1"' "$TMP/dom.html" || fail "the page did not finish drawing"
grep -q 'smaller stacks merged' "$TMP/dom.html" || fail "the page does not say flame-graph stacks were merged"
grep -q '3,600 snapshots drawn as 2,000 points' "$TMP/dom.html" || fail "the page does not say the timeline was bucketed"
grep -q 'Listing the first 200 of' "$TMP/dom.html" || fail "the page does not say findings were cut"
[ "$(grep -o '<canvas' "$TMP/dom.html" | wc -l)" -ge 4 ] || fail "timelines not drawn"
[ "$(grep -o 'class="fr' "$TMP/dom.html" | wc -l)" -ge 100 ] || fail "flame graphs not drawn"
[ "$ms" -le $((${LARGE_PAGE_LIMIT_S:-20} * 1000 * ${LEAK_TEST_TIMEOUT_MULT:-1})) ] ||
	fail "opening the page took $ms ms"
echo "PASS"
