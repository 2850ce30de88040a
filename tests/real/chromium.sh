# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# chromium.sh - headless Chromium in its default multi-process mode (browser, two zygotes,
# the network service, a renderer, crashpad handlers, the launcher script's dash) printing
# the DOM of a page whose script rewrote it (--dump-dom). Its zygote refuses to fork with a
# second thread, and children of the threaded browser must not block on a lock another thread
# held at fork: the output must be the native one and every trace must read.
pkgs_chromium() { echo chromium; }
limit_chromium() { echo 120; }
# Chromium kills its helpers (renderer, network service, zygote children) with SIGKILL as it
# quits, and the launcher's dash leaves through _exit before its first snapshot.
trunc_ok_chromium() { echo chromium dash; }
case_chromium() {
	cat >page.html <<'HTML'
<html><body><p id="x">static</p><ul id="l"></ul>
<script>
document.getElementById('x').textContent = 'from script ' + (6 * 7);
const l = document.getElementById('l');
for (let i = 0; i < 5; i++) {
  const li = document.createElement('li');
  li.textContent = [...'leak'].map((c) => c.charCodeAt(0) + i).join(',');
  l.appendChild(li);
}
</script></body></html>
HTML
	mkdir -p profile home
	HOME=$PWD/home lkr_under chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$PWD/profile" --dump-dom "file://$PWD/page.html"
}
# check_chromium: the zygote was traced, not just the browser (Chromium rewrites its argv
# into one string, so the flags are matched anywhere in it).
check_chromium() {
	local n
	n=$(jq '[.processes[] | select((.argv // []) | any(test("--type=zygote")))] | length' <<<"$LKR_JSON")
	[ "$n" -ge 1 ] || fail "chromium: no trace of a zygote process"
	n=$(jq '[.processes[] | select((.argv // []) | any(test("--type=renderer")))] | length' <<<"$LKR_JSON")
	note "chromium: $n renderer trace(s)"
}
