#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# view_eval.py PAGE CHROME DRIVER TMP SCRIPT - open a leak-view page in headless Chromium
# through chromedriver (stdlib-only WebDriver client), wait until it has drawn
# (body[data-ready]), run SCRIPT (a function body; it may return any JSON value) and print
# the value as JSON on stdout. A script error on the page or in SCRIPT, or a page that never
# finishes drawing, exits 1 with one line on stderr. Shared by the e2e tests that check what
# the page shows (test_view_names.sh); test_view.sh keeps its own longer session.
import json, os, socket, subprocess, sys, tempfile, time, urllib.request

page, chrome, driver, tmp, script = sys.argv[1:6]


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
        return {"value": {"error": "http %d" % e.code,
                          "message": e.read()[:300].decode("utf-8", "replace")}}


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
        "browserName": "chrome", "goog:chromeOptions": {"binary": chrome, "args": args}}}})
    sid = r["value"].get("sessionId")
    if not sid:
        fail("no WebDriver session: %s" % r)
    S = "/session/" + sid

    def js(code):
        v = call("POST", S + "/execute/sync", {"script": code, "args": []})["value"]
        if isinstance(v, dict) and "error" in v:
            fail("script error: %s" % v)
        return v

    call("POST", S + "/url", {"url": "file://" + os.path.abspath(page)})
    t0 = time.time()
    while time.time() - t0 < 30 and js("return document.body.dataset.ready || null") != "1":
        if js("return document.body.dataset.error || null"):
            break
        time.sleep(0.1)
    err = js("return document.body.dataset.error || null")
    if err:
        fail("script error on the page: " + err)
    if js("return document.body.dataset.ready || null") != "1":
        fail("the page never finished drawing")
    print(json.dumps(js(script)))
finally:
    if sid:
        call("DELETE", "/session/" + sid)
    drv.terminate()
    drv.wait()
