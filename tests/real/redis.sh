# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# redis.sh - redis-server (its own jemalloc inside; it must still run correctly) on a free
# loopback port, driven with redis-cli: strings, lists, hashes, sorted sets, a Lua script, a
# BGSAVE (a fork of a multithreaded server) and SHUTDOWN.
pkgs_redis() { echo redis-server redis-tools; }

rcli() {
	timeout 10 redis-cli -h 127.0.0.1 -p "$port" "$@"
}

case_redis() {
	port=$(free_port)
	start_server redis.out redis-server --port "$port" --bind 127.0.0.1 --save "" \
		--appendonly no --dir "$PWD" --daemonize no --logfile "$PWD/redis.log" \
		--io-threads 2
	local pid=$SERVER_PID
	wait_port "$port" "$pid"
	for _ in $(seq 1 100); do
		[ "$(rcli ping 2>/dev/null)" = PONG ] && break
		sleep 0.05
	done
	rcli set greeting "hello redis"
	rcli get greeting
	rcli incrby counter 41
	rcli incr counter
	rcli rpush list a b c d e >/dev/null
	rcli lrange list 1 3
	rcli hset h f1 v1 f2 v2 >/dev/null
	rcli hgetall h | paste -sd' ' -
	for i in $(seq 1 500); do
		printf 'SET key:%d %d\r\n' "$i" "$((i * i))"
	done | timeout 10 redis-cli -h 127.0.0.1 -p "$port" --pipe | tail -n 1
	rcli zadd z 3 c 1 a 2 b >/dev/null
	rcli zrange z 0 -1 withscores | paste -sd' ' -
	rcli eval "return redis.call('get', KEYS[1]) .. '!'" 1 greeting
	rcli dbsize
	rcli bgsave >/dev/null
	for _ in $(seq 1 200); do
		rcli info persistence | grep -q '^rdb_bgsave_in_progress:0' && break
		sleep 0.05
	done
	rcli info persistence | grep -E '^rdb_last_bgsave_status' | tr -d '\r'
	rcli shutdown nosave || true
	wait_exit "$pid" 20
}
