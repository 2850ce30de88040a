# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# attach_lib.sh - setup shared by the tests/e2e/test_attach_*.sh tests that run leak-attach
# on a program started without libleak. Source it right after lib.sh:
#
#   # shellcheck source=tests/e2e/attach_lib.sh
#   . "$(dirname "$0")/attach_lib.sh"
#
# It sets ATTACH (build/leak-attach; the test is skipped without it), unsets LIBLEAK_SO (the
# targets run without the preload) and defines the functions below.

ATTACH=$BUILD_ABS/leak-attach
need "$ATTACH"
unset LIBLEAK_SO

# count DIR: entries of DIR (dangling links too: pipes and sockets), except links to
# /dev/null (attach_loop opens one every 2 s on purpose: its window's descriptor leak).
count() {
	local e n=0
	for e in "$1"/*; do
		[ "$(readlink "$e" 2>/dev/null)" != /dev/null ] || continue
		{ [ -e "$e" ] || [ -L "$e" ]; } && n=$((n + 1))
	done
	echo "$n"
}

# bg_start [--merge] DIR CMD [ARG...]: run `CMD ARG... DIR/ready DIR/stop` in the background
# (stdout in DIR/out, stderr in DIR/err, or in DIR/out too with --merge), killed at exit if
# still there, and wait until it has created DIR/ready; sets BGPID. bg_stop DIR ends it.
bg_start() {
	local merge=0 d
	if [ "$1" = --merge ]; then
		merge=1
		shift
	fi
	d=$1
	shift
	mkdir -p "$d"
	if [ "$merge" = 1 ]; then
		"$@" "$d/ready" "$d/stop" >"$d/out" 2>&1 &
	else
		"$@" "$d/ready" "$d/stop" >"$d/out" 2>"$d/err" &
	fi
	BGPID=$!
	at_exit "touch '$d/stop'; kill -KILL $BGPID 2>/dev/null || true"
	for _ in $(seq 200); do [ -e "$d/ready" ] && break; sleep 0.05; done
	[ -e "$d/ready" ] || fail "$(basename "$1") did not start (in $d)"
}

# bg_stop DIR: create DIR/stop, wait for the program bg_start started last and add
# "status <rc>" to DIR/out.
bg_stop() {
	touch "$1/stop"
	local rc=0
	wait "$BGPID" || rc=$?
	echo "status $rc" >>"$1/out"
}

# loop_start CC DIR: bg_start progs/CC/attach_loop with 2 threads; sets LPID.
loop_start() {
	bg_start "$2" "$(prog "$1" attach_loop)" 2
	LPID=$BGPID
}
# loop_stop DIR: bg_stop for loop_start.
loop_stop() {
	BGPID=$LPID
	bg_stop "$1"
}

# cc_path CC: the compiler binary for CC (gcc, or clang: $CLANG or clang on PATH); prints
# nothing when there is none.
cc_path() {
	if [ "$1" = clang ]; then
		command -v "${CLANG:-clang}" || true
	else
		echo gcc
	fi
}
