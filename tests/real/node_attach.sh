# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# node_attach.sh - a node process (started without libleak) with an HTTP server on a free
# port and a timer that builds objects and buffers, attached with leak-attach while it serves
# requests, then detached; it keeps serving and exits 0 when told to.
pkgs_node_attach() { echo nodejs curl; }
# shellcheck source=tests/real/attach_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/attach_common.sh"

case_node_attach() {
	port=$(free_port)
	cat >server.js <<'JS'
const http = require('http');
const keep = [];
const timer = setInterval(() => { keep.push(Buffer.alloc(1000)); if (keep.length > 5000) keep.length = 0; }, 2);
const srv = http.createServer((req, res) => {
  if (req.url === '/quit') { res.end('bye\n'); clearInterval(timer); srv.close(); return; }
  res.end('hello ' + req.url + '\n');
});
srv.listen(+process.argv[2], '127.0.0.1');
JS
	node server.js "$port" >node.out 2>&1 </dev/null &
	local pid=$!
	SERVER_PIDS+=("$pid")
	wait_port "$port" "$pid"
	attach_begin "$pid"
	local i
	for i in $(seq 1 30); do
		curl -s --max-time 5 "http://127.0.0.1:$port/r$((i % 3))"
	done | sort | uniq -c
	sleep 0.5
	attach_end
	curl -s --max-time 5 "http://127.0.0.1:$port/after"
	curl -s --max-time 5 "http://127.0.0.1:$port/quit"
	wait_exit "$pid" 20
}

# The window must see node's own allocations (Buffer.alloc every 2 ms, the HTTP requests):
# at least 100.
check_node_attach() {
	[ "$LKR_ALLOCS" -ge 100 ] || fail "node_attach: only $LKR_ALLOCS allocations recorded in the window"
}
