# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# common.sh - helpers for the workloads in tests/real/<program>.sh (sourced by run.sh in
# --case mode, in the run's work directory): loopback ports, servers started in the
# background and always stopped, bounded waits. Everything is bounded: a workload never
# waits more than a few seconds for anything, and run.sh bounds the whole run with timeout.

# free_port: print a TCP port on 127.0.0.1 that nothing listens on (random, 20000-59999).
free_port() {
	local port i
	for i in $(seq 1 50); do
		port=$((20000 + (RANDOM * 32768 + RANDOM + i) % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	echo "common.sh: no free loopback port found" >&2
	return 1
}

# wait_port PORT PID [SECONDS]: wait until something accepts on 127.0.0.1:PORT; fail early if
# PID (the server) is gone.
wait_port() {
	local port=$1 pid=$2 limit=${3:-20} i
	for i in $(seq 1 $((limit * 20))); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "common.sh: server (pid $pid) exited before listening on $port" >&2
			return 1
		fi
		[ "$i" -gt 0 ] && sleep 0.05
	done
	echo "common.sh: nothing listens on $port after ${limit}s" >&2
	return 1
}

# SERVER_PIDS: servers started by start_server; stop_servers (the EXIT trap) kills whatever
# is still running, so no server outlives its workload.
SERVER_PIDS=()
stop_servers() {
	local pid
	for pid in "${SERVER_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
}
trap stop_servers EXIT

# start_server LOG CMD...: start CMD (under the preload in a leak run) in the background,
# stdout and stderr to LOG. Sets SERVER_PID.
start_server() {
	local log=$1
	shift
	# exec, so that $! is the server itself (signals reach it, not a subshell).
	(
		if [ "${LKR_MODE:-native}" = leak ]; then
			export LD_PRELOAD=$LEAK_SO LEAK_OUT=${LKR_TRACES:?}/leak.%e.%p.lkt
		fi
		exec "$@"
	) >"$log" 2>&1 </dev/null &
	SERVER_PID=$!
	SERVER_PIDS+=("$SERVER_PID")
}

# wait_exit PID [SECONDS]: wait for background job PID to end (bounded: SIGKILL after the
# limit), then print "exit N". The status is normalised to what a shell reports (128+signal).
wait_exit() {
	local pid=$1 limit=${2:-20} i rc=0
	for i in $(seq 1 $((limit * 20))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "common.sh: pid $pid still running after ${limit}s: killed" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" || rc=$?
	echo "exit $rc"
}

# wait_gone PID [SECONDS]: wait until a process that is not our child (a daemon's worker) has
# exited; returns 1 if it is still there after the limit.
wait_gone() {
	local pid=$1 limit=${2:-20} i
	for i in $(seq 1 $((limit * 20))); do
		kill -0 "$pid" 2>/dev/null || return 0
		[ "$i" -gt 0 ] && sleep 0.05
	done
	return 1
}
