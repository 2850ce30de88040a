# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# redis_attach.sh - redis-server (io-threads 2, started without libleak) attached with
# leak-attach while redis-cli writes and reads keys, then detached; it keeps serving and
# SHUTDOWN ends it as usual.
pkgs_redis_attach() { echo redis-server redis-tools; }
# shellcheck source=tests/real/attach_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/attach_common.sh"

rcli_a() {
	timeout 10 redis-cli -h 127.0.0.1 -p "$port" "$@"
}

case_redis_attach() {
	port=$(free_port)
	redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$PWD" \
		--daemonize no --logfile "$PWD/redis.log" --io-threads 2 >redis.out 2>&1 </dev/null &
	local pid=$!
	SERVER_PIDS+=("$pid")
	wait_port "$port" "$pid"
	for _ in $(seq 1 100); do
		[ "$(rcli_a ping 2>/dev/null)" = PONG ] && break
		sleep 0.05
	done
	rcli_a set before "set before the attach"
	attach_begin "$pid"
	rcli_a get before
	for i in $(seq 1 2000); do
		printf 'SET key:%d %d\r\n' "$i" "$((i * i))"
	done | timeout 10 redis-cli -h 127.0.0.1 -p "$port" --pipe | tail -n 1
	rcli_a rpush list a b c d e >/dev/null
	rcli_a lrange list 1 3
	rcli_a eval "return redis.call('get', KEYS[1]) .. '!'" 1 before
	rcli_a dbsize
	sleep 0.5
	attach_end
	rcli_a get key:42
	rcli_a shutdown nosave || true
	wait_exit "$pid" 20
}
