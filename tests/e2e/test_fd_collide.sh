#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fd_collide.sh - the program's own descriptor numbers meet the trace's. libleak keeps
# its trace on RLIMIT_NOFILE/2 (512 under `ulimit -n 1024`), 1000 above, the top number (63
# under `ulimit -n 64`) below 512; a program that lists /proc/self/fd, calls close, write,
# read, fstat, lseek, ftruncate, ioctl, fdopen... on that number without opening it (EBADF
# natively), dup2s or dup3s onto it, writes through it and closes it (a pipe whose reader waits
# for EOF, a file), or close_ranges it, must behave exactly as natively (same stdout and
# stderr, same out.txt, no hang), and every trace must read, complete. Then the same in bash:
# `echo >&N` unopened, `exec N>$F; echo hi >&N; exec N>&-`.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

# limited NOFILE CMD...: CMD with `ulimit -n NOFILE`, under the preload in the leak run (the
# limit must be in place before libleak starts: it picks the trace's number then).
# shellcheck disable=SC2016 # expanded by that bash
limited=(bash -c 'ulimit -n "$1"; shift
if [ "$LKR_MODE" = leak ]; then export LD_PRELOAD=$LEAK_SO LEAK_OUT=$LKR_TRACES/leak.%e.%p.lkt; fi
exec "$@"' limited)

# The numbers the test aims at are the trace's: check where libleak puts it.
# (bash's child ls lists bash's descriptors: a process's own listing leaves its trace out.)
# shellcheck disable=SC2016 # expanded by that bash
for pair in 1024:512 4096:1000 64:63; do
	nofile=${pair%:*} n=${pair#*:}
	got=$(LKR_MODE=leak LKR_TRACES=$TMP "${limited[@]}" "$nofile" bash -c 'ls -l /proc/$$/fd/; :' |
		awk '/\.lkt$/ { print $(NF - 2) }')
	assert_eq "$got" "$n" "trace descriptor under ulimit -n $nofile"
	rm -f "$TMP"/*.lkt
done

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" fd_collide)
	need "$p"
	for pair in 1024:512 4096:1000 64:63; do
		nofile=${pair%:*} n=${pair#*:}
		LEAK_INTERVAL_MS=10 LKR_WRAP=0 LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 \
			LKR_ARTIFACTS=out.txt LKR_LIMIT=20 \
			lkr_pair "collide.$n.$cc" "${limited[@]}" "$nofile" "$p" "$n" @DIR@/work
		grep -q '^reader: 500 bytes, then EOF' "$LKR_LEAK/stdout" ||
			fail "$n ($cc): the pipe reader did not see its 500 bytes"
		# The reader child writes a trace of its own only if it lived to a snapshot (it
		# keeps nothing of its own); its exit status is in the parent's children either way.
		case $LKR_N_TRACES in
		1 | 2) ;;
		*) fail "$n ($cc): $LKR_N_TRACES traces, expected the parent's and maybe the reader's" ;;
		esac
		assert_eq "$(jq '[.processes[] | select(.exe != null and (.exe | endswith("fd_collide")))
			| select(.parent_pid == null) | .exit_status, (.children[] | .exit_status)]
			| map(tostring) | join(",")' -r <<<"$LKR_JSON")" "0,0" \
			"$n ($cc): fd_collide and its reader child end with exit 0"
		note "$n ($cc): same stdout and out.txt, $LKR_N_TRACES traces read"
	done
done

cat >"$TMP/collide.sh" <<'SH'
F=$1/file.txt
n=$2
eval "echo never >&$n" || echo "echo >&$n failed"
eval "cat <&$n" || echo "cat <&$n failed"
eval "exec $n>\"\$F\""
eval "echo hi >&$n"
eval "exec $n>&-"
eval "exec $n>>\"\$F\""
eval "echo there >&$n"
eval "exec $n>&-"
echo "file has: $(cat "$F")"
SH
for pair in 1024:512 4096:1000 64:63; do
	nofile=${pair%:*} n=${pair#*:}
	LEAK_INTERVAL_MS=10 LKR_WRAP=0 LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_ARTIFACTS=file.txt \
		LKR_LIMIT=20 lkr_pair "bash.$n" "${limited[@]}" "$nofile" bash "$TMP/collide.sh" @DIR@/work "$n"
	# (Under `ulimit -n 64` bash's own script descriptor is 63: natively "hi" is lost there.)
	want="file has: hi
there"
	[ "$n" = 63 ] && want="file has: there"
	assert_eq "$(cat "$LKR_LEAK/stdout")" "echo >&$n failed
cat <&$n failed
$want" "bash exec $n>file under libleak"
	note "bash, fd $n: same output, $LKR_N_TRACES traces read"
done
