# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# memcached.sh - memcached with four worker threads on a free loopback port, driven over bash
# /dev/tcp connections (set/get/incr/append/delete, several connections at once), then
# stopped with SIGTERM.
pkgs_memcached() { echo memcached; }

# mc_session INPUT: send INPUT (lines joined with CRLF) on a new connection, print the reply.
mc_session() {
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	printf '%s\r\n' "$@" "quit" >&"$fd"
	timeout 5 cat <&"$fd" | tr -d '\r'
	exec {fd}>&-
}

case_memcached() {
	port=$(free_port)
	start_server memcached.out memcached -l 127.0.0.1 -p "$port" -U 0 -t 4 -m 64 -c 64 -u root
	local pid=$SERVER_PID
	wait_port "$port" "$pid"
	mc_session "set greeting 0 0 5" "hello" "get greeting" "append greeting 0 0 6" " world" \
		"get greeting" "set n 0 0 2" "40" "incr n 2" "delete greeting" "get greeting"
	local i args=()
	for i in $(seq 1 200); do
		args+=("set key$i 0 0 ${#i}" "$i")
	done
	mc_session "${args[@]}" | sort | uniq -c
	local clients=()
	for i in 1 2 3 4; do
		mc_session "get key$i key$((i * 10)) key$((i * 50))" >"conn$i.txt" &
		clients+=($!)
	done
	wait "${clients[@]}"
	cat conn1.txt conn2.txt conn3.txt conn4.txt
	mc_session "flush_all" "get key1"
	kill -TERM "$pid"
	wait_exit "$pid" 20
}
