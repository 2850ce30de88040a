# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# nginx.sh - nginx master with two worker processes on a free loopback port: static files, a
# return directive and a 404 fetched with curl, a reload (SIGHUP: new workers, old ones drain),
# more requests, then a graceful stop (SIGQUIT). Master and workers run under the preload
# (workers are forked from the master and drop to the default user nobody).
pkgs_nginx() { echo nginx-light curl; }
limit_nginx() { echo 60; }
# shellcheck source=tests/real/nginx_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/nginx_common.sh"

# fetch PATH: "<status> <body>" of http://127.0.0.1:$port/PATH.
nginx_fetch() {
	curl -s --max-time 5 -o body.txt -w '%{http_code}' "http://127.0.0.1:$port/$1" >code.txt || true
	echo "GET /$1 -> $(cat code.txt) $(head -c 200 body.txt | tr '\n' ' ')"
}

case_nginx() {
	local dir=$PWD
	nginx_setup
	start_server nginx.out nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log"
	local master=$SERVER_PID
	wait_port "$port" "$master"
	nginx_fetch hello
	nginx_fetch index.html
	nginx_fetch missing
	curl -s --max-time 5 "http://127.0.0.1:$port/big.txt" | md5sum | sed 's/^/big.txt md5 /'
	kill -HUP "$master"
	# The reload is done when the log says the new workers started (at most 10 s).
	for _ in $(seq 1 200); do
		grep -q 'reconfiguring' logs/error.log && [ "$(grep -c 'start worker process' logs/error.log)" -ge 4 ] && break
		sleep 0.05
	done
	if [ "$(grep -c 'start worker process' logs/error.log)" -ge 4 ]; then
		echo "reloaded: new workers started"
	else
		echo "reload: no new workers in the log"
	fi
	nginx_fetch hello
	nginx_fetch index.html
	kill -QUIT "$master"
	wait_exit "$master" 20
	if pgrep -f "nginx: worker process" -P "$master" >/dev/null 2>&1; then
		echo "workers left behind"
	fi
}
