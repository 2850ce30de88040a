# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# python3_attach.sh - a CPython process (started without libleak) building and dropping
# lists, dicts and bytes in two threads, attached with leak-attach for a window and
# detached; it computes the same result and exits 0. Its native stacks are in the report.
pkgs_python3_attach() { echo python3; }
# shellcheck source=tests/real/attach_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/attach_common.sh"

case_python3_attach() {
	cat >work.py <<'PY'
import hashlib, os, threading, time
keep = []
def churn(n):
    h = hashlib.sha256()
    while not os.path.exists("stop"):
        d = {i: bytes(i % 300) for i in range(n)}
        h.update(b"".join(d[i] for i in range(0, n, 7)))
        keep.append(list(range(50)))       # grows: a leak of the window
        time.sleep(0.001)
    return h
results = {}
ts = [threading.Thread(target=lambda k=k: results.__setitem__(k, churn(200 + k))) for k in range(2)]
for t in ts: t.start()
open("ready", "w").close()
for t in ts: t.join()
print("threads done", len(results), "kept lists", len(keep) > 0)
PY
	/usr/bin/python3 work.py >py.out 2>&1 </dev/null &
	local pid=$!
	SERVER_PIDS+=("$pid")
	for _ in $(seq 1 200); do [ -e ready ] && break; sleep 0.05; done
	attach_begin "$pid"
	sleep 1.5
	attach_end
	sleep 0.3
	touch stop
	wait_exit "$pid" 20
	cat py.out
}

# The window must see CPython's own allocations (its dicts and lists go through malloc when
# large, its arenas through mmap): at least 100, with frames in the python3 executable.
check_python3_attach() {
	[ "$LKR_ALLOCS" -ge 100 ] || fail "python3_attach: only $LKR_ALLOCS allocations recorded in the window"
	local n
	n=$(jq '[.processes[].findings[].stack[]? | select(.module // "" | test("python3"))] | length' <<<"$LKR_JSON")
	[ "$n" -gt 0 ] || fail "python3_attach: no native frame of python3 in the report"
}
