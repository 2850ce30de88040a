#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_view.sh - leak-view end to end: two traced programs (grow_cache, which grows at
# cache_store_value, and fd_files, which leaks descriptors) make one page. Without a browser:
# the page is self-contained (no external script, stylesheet or image), carries the same
# findings as leak-report --json, and a missing charting library is a clear exit 2. Then the
# page is opened in headless Chromium through chromedriver (a stdlib-only WebDriver client
# below): both sections, the process tree, timelines (canvases), flame graphs (SVG frames)
# and the findings table are drawn, no console error, hovering a chart shows values, clicking
# a row opens its stack with file:line, sorting, search and flame zoom work, and a screenshot
# is taken (kept at $LEAK_VIEW_SCREENSHOT when set). Without chromium/chromedriver the browser
# half prints SKIP with the reason.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

LEAK_VIEW=$BUILD_ABS/leak-view
need "$LEAK_VIEW" "$LEAK_REPORT" "$LEAK_SO"
grow= # set by run_traced
fds=

note "trace grow_cache and fd_files"
LEAK_INTERVAL_MS=100 run_traced grow "$(prog gcc grow_cache)" unbounded 2
assert_eq "$RUN_STATUS" 0 "grow_cache exit status"
mkdir -p "$TMP/scratch"
LEAK_INTERVAL_MS=100 run_traced fds "$(prog gcc fd_files)" "$TMP/scratch"
json=$(report_json "$grow" "$fds")
# Table rows: a heap stack is listed once (its growth and leak findings share a row).
n_rows=$(jq_get "$json" '[.processes[] | [.findings[] | if (.kind == "leak" or .kind == "reachable" or .kind == "growth") and .stack_id then "s\(.stack_id)" else null end] | (map(select(. != null)) | unique | length) + (map(select(. == null)) | length)] | add')
n_fd=$(jq_get "$json" '[.processes[].findings[] | select(.kind == "fd")] | length')
[ "$n_fd" -gt 0 ] || fail "fd_files made no fd finding; the page test needs one"

note "leak-view writes one self-contained page"
page=$TMP/report.html
timeout "$T_LIMIT" "$LEAK_VIEW" "$grow" "$fds" -o "$page" 2>"$TMP/view.err" ||
	fail "leak-view failed: $(cat "$TMP/view.err")"
[ -s "$page" ] || fail "no page written"
if grep -Eiq '<(script|img|iframe)[^>]*[[:space:]]src=|<link[^>]*href=|@import|url\(https?:' "$page"; then
	fail "the page loads something from outside: $(grep -Eio '<(script|img|iframe|link)[^>]*(src|href)=[^>]*' "$page" | head -3)"
fi
grep -q 'id="report-data"' "$page" || fail "no report data in the page"
# The embedded report is leak-report --json with the same top (all here: fewer than 200).
python3 - "$page" >"$TMP/embedded.json" <<'EOF'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
print(m.group(1))
EOF
assert_eq "$(jq -c '[.processes[] | {pid, findings: [.findings[] | {kind, bytes, count, stack_id}]}]' "$TMP/embedded.json")" \
	"$(jq -c '[.processes[] | {pid, findings: [.findings[] | {kind, bytes, count, stack_id}]}]' <<<"$json")" \
	"findings embedded in the page vs leak-report --json"

note "a missing charting library is a clear error"
rc=0
LEAK_VIEW_JS_DIR=$TMP/nowhere "$LEAK_VIEW" "$grow" -o "$TMP/x.html" 2>"$TMP/err" || rc=$?
assert_eq "$rc" 2 "leak-view without dygraphs: exit status"
assert_match "$(cat "$TMP/err")" "nowhere/dygraph.min.js: .*libjs-dygraphs" "leak-view without dygraphs: message"
[ ! -e "$TMP/x.html" ] || fail "a page was written although the library is missing"
rc=0
"$LEAK_VIEW" "$grow" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq "$rc" 2 "leak-view without -o: exit status"

chrome=$(command -v chromium || command -v chromium-browser || true)
driver=$(command -v chromedriver || true)
if [ -z "$chrome" ] || [ -z "$driver" ]; then
	echo "SKIP: browser checks: chromium or chromedriver not installed (Debian packages chromium, chromium-driver)"
	exit 0
fi

note "render in headless Chromium via chromedriver"
shot=${LEAK_VIEW_SCREENSHOT:-$TMP/page.png}
timeout 120 python3 - "$page" "$chrome" "$driver" "$shot" "$n_rows" "$TMP" <<'EOF'
import base64, json, os, socket, subprocess, sys, tempfile, time, urllib.request

page, chrome, driver, shot, n_findings, tmp = sys.argv[1:7]
n_findings = int(n_findings)

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
log = open(os.path.join(tmp, "chromedriver.log"), "w")
drv = subprocess.Popen([driver, "--port=%d" % port], stdout=log, stderr=log)
base = "http://127.0.0.1:%d" % port

def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return {"value": {"error": "http %d" % e.code, "message": e.read()[:300].decode("utf-8", "replace")}}

sid = None
try:
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/status", timeout=2)
            break
        except Exception:
            time.sleep(0.1)
    profile = tempfile.mkdtemp(dir=tmp)
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1300,1000"]
    r = call("POST", "/session", {"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {"binary": chrome, "args": args},
        "goog:loggingPrefs": {"browser": "ALL"}}}})
    sid = r["value"].get("sessionId")
    if not sid:
        fail("no WebDriver session: %s" % r)
    S = "/session/" + sid

    def js(script, *a):
        v = call("POST", S + "/execute/sync", {"script": script, "args": list(a)})["value"]
        if isinstance(v, dict) and "error" in v:
            fail("script error: %s" % v)
        return v

    def find(css, root=None):
        path = S + ("/element/%s/element" % root if root else "/element")
        v = call("POST", path, {"using": "css selector", "value": css})["value"]
        if "error" in v:
            fail("no element %s: %s" % (css, v.get("message", "")[:200]))
        return list(v.values())[0]

    t0 = time.time()
    call("POST", S + "/url", {"url": "file://" + os.path.abspath(page)})
    while time.time() - t0 < 30 and js("return document.body.dataset.ready || null") != "1":
        if js("return document.body.dataset.error || null"):
            break
        time.sleep(0.1)
    load_s = time.time() - t0
    err = js("return document.body.dataset.error || null")
    if err:
        fail("script error on the page: " + err)
    if js("return document.body.dataset.ready || null") != "1":
        fail("the page never finished drawing")
    print("--- page drawn in %.2f s" % load_s)

    st = js("""
      const q = (s) => document.querySelectorAll(s).length;
      const secs = document.querySelectorAll('section.proc');
      const drawn = (i, key) => secs[i] ? secs[i].querySelectorAll('.timeline[data-chart=' + key + '] canvas').length : 0;
      return {sections: secs.length, tree: q('#tree li'),
              heap0: drawn(0, 'heap'), growing0: drawn(0, 'growing'), heap1: drawn(1, 'heap'), fds1: drawn(1, 'fds'),
              frames: q('.flame-live rect.fr'), gframes: q('.flame-growth rect.fr'),
              rows: q('tr.finding'), fdrows: q('tr.finding[data-kind=fd]')};""")
    print("--- drawn: %s" % st)
    if st["sections"] != 2: fail("expected 2 process sections, got %d" % st["sections"])
    if st["tree"] != 2: fail("expected a process tree of 2 entries, got %d" % st["tree"])
    for k in ("heap0", "growing0", "heap1", "fds1"):
        if st[k] < 2: fail("timeline %s not drawn (no canvases): %s" % (k, st))
    if st["frames"] < 5 or st["gframes"] < 5: fail("flame graphs not drawn: %s" % st)
    if st["rows"] != n_findings: fail("table rows %d, findings %d" % (st["rows"], n_findings))
    if st["fdrows"] < 1: fail("no fd row in the table")

    # Hover: the first chart's legend shows values at the pointer.
    box = js("""const c = document.querySelector('section.proc .timeline .chart');
                c.scrollIntoView({block: 'center'});
                const b = c.getBoundingClientRect(); return [b.left, b.top, b.width, b.height];""")
    x, y = int(box[0] + box[2] * 0.6), int(box[1] + box[3] * 0.5)
    r = call("POST", S + "/actions", {"actions": [{"type": "pointer", "id": "mouse",
        "parameters": {"pointerType": "mouse"}, "actions": [
            {"type": "pointerMove", "origin": "viewport", "x": x - 20, "y": y, "duration": 0},
            {"type": "pointerMove", "origin": "viewport", "x": x, "y": y, "duration": 100}]}]})
    if r and isinstance(r.get("value"), dict) and "error" in r["value"]:
        fail("pointer actions failed: %s" % r["value"])
    time.sleep(0.3)
    legend = js("return document.querySelector('section.proc .timeline .legend').textContent")
    if "t =" not in legend or "B" not in legend:
        fail("hovering the heap chart shows no values; legend: %r" % legend)
    print("--- hover legend: %s" % legend[:100])

    # Clicking a row opens its stack with file:line.
    row = find("section.proc tr.finding")
    call("POST", S + "/element/%s/click" % row, {})
    stack = js("const r = document.querySelector('section.proc tr.stack-row'); return r ? r.textContent : null")
    if not stack: fail("clicking a finding row shows no stack")
    if "cache_store_value" not in stack or "grow_cache.c:" not in stack:
        fail("the opened stack lacks cache_store_value grow_cache.c:LINE: %r" % stack[:300])
    print("--- row stack: %s" % " ".join(stack.split())[:120])

    # An fd row shows the descriptor's path.
    fdrow = find("tr.finding[data-kind=fd]")
    call("POST", S + "/element/%s/click" % fdrow, {})
    fdtext = js("const rs = document.querySelectorAll('tr.stack-row'); return rs[rs.length - 1].textContent")
    if "/" not in fdtext or "opened by" not in fdtext:
        fail("the fd row's details lack its path/api: %r" % fdtext[:300])

    # Sorting by bytes (descending first) and searching.
    th = find("section.proc table.findings th[data-key=bytes]")
    call("POST", S + "/element/%s/click" % th, {})
    vals = js("""return Array.from(document.querySelector('section.proc').querySelectorAll('tr.finding'))
                 .map(r => r.children[0].textContent)""")
    # Rows are per stack (a growth and a leak finding of one stack share a row): the order
    # of the rows' own bytes, ties by rank.
    order = js("""return Array.from(document.querySelector('section.proc').querySelectorAll('tr.finding'))
                  .map(r => [+r.dataset.bytes, +r.children[0].textContent]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(x => String(x[1]));""")
    if vals != order: fail("sorted by bytes: rows %s, expected %s" % (vals[:8], order[:8]))
    box = find("section.proc .findings-card input[type=search]")
    call("POST", S + "/element/%s/value" % box, {"text": "cache_store_value"})
    shown = js("return Array.from(document.querySelector('section.proc').querySelectorAll('tr.finding')).length")
    want = js("""const p = JSON.parse(document.getElementById('report-data').textContent).processes[0];
                 const heap = (f) => ['leak', 'reachable', 'growth'].includes(f.kind) && f.stack_id;
                 const m = p.findings.filter(f => (f.stack || []).some(x => x.function === 'cache_store_value'));
                 return new Set(m.filter(heap).map(f => f.stack_id)).size + m.filter(f => !heap(f)).length""")
    if shown != want or want == 0: fail("search cache_store_value: %d rows shown, %d findings match" % (shown, want))

    # Flame graph: search highlights, click zooms.
    fbox = find("section.proc .flames")
    fsearch = find("section.proc .card .toolbar input[type=search]")
    call("POST", S + "/element/%s/value" % fsearch, {"text": "cache_store_value"})
    matches = js("return document.querySelector('section.proc').querySelectorAll('.flame rect.match').length")
    if matches < 1: fail("flame search highlights nothing")
    rect = js("""const rs = Array.from(document.querySelector('section.proc .flame-live').querySelectorAll('rect.fr'));
                 const r = rs.find(x => x.querySelector('title').textContent.startsWith('main '));
                 return r ? r.querySelector('title').textContent : null""")
    if not rect: fail("no 'main' frame in the live flame graph")
    js("""const rs = Array.from(document.querySelector('section.proc .flame-live').querySelectorAll('rect.fr'));
          rs.find(x => x.querySelector('title').textContent.startsWith('main ')).dispatchEvent(new MouseEvent('click', {bubbles: true}));""")
    info = js("return document.querySelector('section.proc .flame-live .info').textContent")
    if "zoomed to main" not in info: fail("clicking 'main' does not zoom: %r" % info)

    # No console errors.
    logs = call("POST", S + "/se/log", {"type": "browser"}).get("value")
    if isinstance(logs, list):
        bad = [l for l in logs if l.get("level") == "SEVERE"]
        if bad: fail("console errors: %s" % bad[:3])
        print("--- console: %d entries, none severe" % len(logs))
        # The channel works: a console.error now must show up in the next read.
        js("console.error('leak-view-test-probe')")
        probe = call("POST", S + "/se/log", {"type": "browser"}).get("value") or []
        if not any("leak-view-test-probe" in l.get("message", "") and l.get("level") == "SEVERE" for l in probe):
            fail("the browser log does not report console errors, so the check above proves nothing: %s" % probe)
    else:
        fail("chromedriver gave no browser log: %s" % logs)

    # Screenshot of the whole page.
    h = js("return Math.min(document.documentElement.scrollHeight, 6000)")
    call("POST", S + "/window/rect", {"width": 1300, "height": int(h) + 140})
    js("window.scrollTo(0, 0); document.querySelectorAll('tr.stack-row').length")
    png = base64.b64decode(call("GET", S + "/screenshot")["value"])
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 20000:
        fail("screenshot is not a real PNG (%d bytes)" % len(png))
    open(shot, "wb").write(png)
    print("--- screenshot %s (%d bytes)" % (shot, len(png)))
finally:
    if sid:
        call("DELETE", "/session/" + sid)
    drv.terminate()
    try:
        drv.wait(timeout=10)
    except subprocess.TimeoutExpired:
        drv.kill()
EOF
echo "PASS"
