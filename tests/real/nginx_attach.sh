# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# nginx_attach.sh - an nginx worker (master + 2 workers, started without libleak) attached with
# leak-attach while it serves static files and a return directive, then detached; it keeps
# serving, and a graceful stop (SIGQUIT) ends it as usual.
pkgs_nginx_attach() { echo nginx-light curl; }
limit_nginx_attach() { echo 60; }
# shellcheck source=tests/real/attach_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/attach_common.sh"
# shellcheck source=tests/real/nginx_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/nginx_common.sh"

case_nginx_attach() {
	local dir=$PWD
	nginx_setup
	# Started natively in both runs: the leak run attaches to a worker afterwards.
	nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" >nginx.out 2>&1 </dev/null &
	local master=$!
	SERVER_PIDS+=("$master")
	wait_port "$port" "$master"
	local worker=
	for _ in $(seq 1 100); do
		worker=$(pgrep -P "$master" | head -n 1)
		[ -n "$worker" ] && break
		sleep 0.05
	done
	[ -n "$worker" ] || { echo "no nginx worker" >&2; return 1; }
	attach_begin "$worker"
	local i
	for i in $(seq 1 20); do
		curl -s --max-time 5 "http://127.0.0.1:$port/hello"
		curl -s --max-time 5 "http://127.0.0.1:$port/big.txt" | md5sum | sed 's/^/big.txt md5 /'
		curl -s --max-time 5 -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$port/missing"
	done | sort | uniq -c
	sleep 0.5
	attach_end
	curl -s --max-time 5 "http://127.0.0.1:$port/index.html"
	kill -0 "$worker" && echo "worker still running after the window"
	kill -QUIT "$master"
	wait_exit "$master" 20
}
