#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_view_python.sh - leak-view on a Python process (py/kinds.py under Debian's python3):
# the growing-stacks labels start at the innermost Python frame and name its caller
# ("grow kinds.py:N <- grow_for:M", not the interpreter's frames), the flame graph's frames
# are "function file:line [py]", and in headless Chromium the findings table's top-frame
# column shows the Python label (the socket's: socket.__init__ socket.py:N <- open_socket:M) and
# a stack lists its Python frames marked [py].
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
LEAK_VIEW=$BUILD_ABS/leak-view
need "$LEAK_SO" "$LEAK_REPORT" "$LEAK_VIEW"
need_python311
src=$(cd "$(dirname "$0")" && pwd)/py/kinds.py
line_of() { grep -n "# LINE $1\$" "$src" | cut -d: -f1; }
g=$(line_of grow) gf=$(line_of grow_for)

note "leak-view: Python labels and flame-graph frames"
mkdir -p "$TMP/tmp" "$TMP/t"
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_INTERVAL_MS=250 TMPDIR="$TMP/tmp" \
	LEAK_OUT="$TMP/t/leak.%e.%p.lkt" "$PY" "$src" "$TMP/tmp" 4 >/dev/null 2>"$TMP/err" </dev/null
page=$TMP/page.html
"$LEAK_VIEW" "$TMP"/t/*.lkt -o "$page" 2>"$TMP/view.err" || fail "leak-view: $(cat "$TMP/view.err")"
series=$TMP/series.json
python3 - "$page" >"$series" <<'PYEOF'
import re, sys
s = open(sys.argv[1]).read()
m = re.search(r'<script type="application/json" id="series-data">(.*?)</script>', s, re.S)
print(m.group(1))
PYEOF
py_idx=$(jq '[.processes[] | (.names | map(select(endswith("[py]"))) | length > 0)] | index(true)' "$series")
[ "$py_idx" != null ] || fail "no process with [py] frame names"
got=$(jq -r ".processes[$py_idx].growing | map(.label) | map(select(. == \"grow kinds.py:$g ← grow_for:$gf\")) | length > 0" "$series")
assert_eq "$got" true "a growing stack labelled 'grow kinds.py:$g ← grow_for:$gf'"
got=$(jq -r ".processes[$py_idx].growing | map(select(.label | startswith(\"grow \"))) | .[0].full" "$series")
assert_eq "$got" grow "the label's full name (hover)"
got=$(jq -r ".processes[$py_idx].names | index(\"grow kinds.py:$g [py]\") != null" "$series")
assert_eq "$got" true "flame graph frame 'grow kinds.py:$g [py]'"

chrome=$(command -v chromium || command -v chromium-browser || true)
driver=$(command -v chromedriver || true)
if [ -z "$chrome" ] || [ -z "$driver" ]; then
	echo "SKIP: browser checks: chromium or chromedriver not installed (Debian packages chromium, chromium-driver)"
	exit 0
fi
got=$(timeout 120 python3 "$(dirname "$0")/view_eval.py" "$page" "$chrome" "$driver" "$TMP" "
	const sec = document.getElementById('proc-$py_idx');
	const rows = Array.from(sec.querySelectorAll('tr.finding'));
	const out = {tops: rows.map(r => r.children[5].textContent)};
	const row = rows.find(r => r.children[5].textContent.indexOf('\u2190 open_socket:') > 0);
	row.click();
	const st = sec.querySelector('ol.stack');
	out.stack = st ? Array.from(st.querySelectorAll('li')).map(li => li.textContent) : [];
	return out;") || fail "browser check failed"
assert_jq "$got" "[.tops[] | select(startswith(\"grow kinds.py:$g ← grow_for:$gf\"))] | length > 0" true "findings table: Python top frame"
so=$(line_of open_socket)
assert_jq "$got" "[.stack[] | select(startswith(\"open_socket  kinds.py:$so  [py]\"))] | length" 1 "the socket's stack lists open_socket kinds.py:$so [py]"
