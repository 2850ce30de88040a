#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# workloads.sh - the benchmark's workloads, sourced by bench.sh: builds the C workloads and
# helper tools into $OUT, writes the generated inputs (SQL script, C translation unit), and
# defines workload NAME, which sets CMD, ENVV and STDIN for one run. Sizes come from QUICK
# (BENCH_QUICK=1: small inputs for the smoke test). A new workload is a case in workload(),
# its name in ALL_WL or EXTRA_WL, and, if it needs a program, a case in missing().
# Needs OUT, WORK and QUICK set; defines CC1, PY, SQLITE3 and the size variables.
# shellcheck disable=SC2034 # WL, EXTRA_WL, CMD, ENVV and STDIN are read by bench.sh

# --- build the workloads and tools --------------------------------------------------------
CFLAGS_B=(-std=gnu11 -O2 -g -fomit-frame-pointer -Wall -Wextra -Werror -pthread)
for w in malloc_churn varied_churn xthread fd_churn fork_thread live_sites scan_heap; do
	gcc "${CFLAGS_B[@]}" -o "$OUT/$w" "bench/$w.c"
done
gcc "${CFLAGS_B[@]}" -shared -fPIC -o "$OUT/unw_only.so" bench/unw_only.c -lunwind
gcc "${CFLAGS_B[@]}" -shared -fPIC -o "$OUT/fwd_only.so" bench/fwd_only.c
gcc "${CFLAGS_B[@]}" -Icommon -o "$OUT/gen_trace" bench/gen_trace.c -lzstd
gcc "${CFLAGS_B[@]}" -Icommon -o "$OUT/trace_stats" bench/trace_stats.c -lzstd

# --- inputs -------------------------------------------------------------------------------
if [ "$QUICK" = 1 ]; then
	CHURN_ROUNDS=20000 VARIED_OPS=300000 XT_OPS=400000 FD_ITERS=3000 FORKS=100 THREADS=400
	PY_SCALE=4000 SQL_ROWS=8000 CSRC_MODULES=3 LIVE_BIG=32 LIVE_SMALL=4 NODE_REQS=300
	SPAWNS=20
else
	CHURN_ROUNDS=140000 VARIED_OPS=4000000 XT_OPS=4000000 FD_ITERS=30000 FORKS=1200 THREADS=4000
	PY_SCALE=30000 SQL_ROWS=80000 CSRC_MODULES=16 LIVE_BIG=128 LIVE_SMALL=16 NODE_REQS=20000
	SPAWNS=200
fi
awk -v n="$SQL_ROWS" -f bench/gen_sql.awk >"$OUT/workload.sql"
awk -v n="$CSRC_MODULES" -f bench/gen_csrc.awk >"$OUT/unit.c"
gcc -E "$OUT/unit.c" -o "$OUT/unit.i"
head -c 4096 /dev/urandom >"$OUT/fd_target.bin"
CC1=$(gcc -print-prog-name=cc1)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || echo python3)
SQLITE3=$(command -v sqlite3 || echo sqlite3)
NODE=$(command -v node || echo node)
# missing WORKLOAD: prints the program a workload needs if it is not installed
missing() {
	case $1 in
	python3 | python3_nopy | spawn) [ -x "$PY" ] || echo python3 ;;
	sqlite3) command -v sqlite3 >/dev/null || echo sqlite3 ;;
	node | node_nonames) command -v node >/dev/null || echo nodejs ;;
	esac
}

ALL_WL="churn_d5 churn_d30 varied_d5 varied_d30 xthread fd_churn fork_thread python3 python3_nopy sqlite3
	cc1 node node_nonames spawn"
WL=${BENCH_ONLY:-$ALL_WL}
# Runs for the memory, sampling-accuracy and thread-scaling targets: native, full and sampled
# only (BENCH_EXTRA= turns them off).
EXTRA_WL=${BENCH_EXTRA-xthread_1t live_big live_small fork_nofollow}

# Sets CMD (argv), ENVV (extra environment) and STDIN for workload $1.
workload() {
	ENVV=()
	STDIN=/dev/null
	case $1 in
	churn_d5) CMD=("$OUT/malloc_churn" 5 "$CHURN_ROUNDS") ;;
	churn_d30) CMD=("$OUT/malloc_churn" 30 "$CHURN_ROUNDS") ;;
	# the same stack rarely twice in a row: 2^(depth+1) paths chosen at random per operation
	varied_d5) CMD=("$OUT/varied_churn" 5 "$VARIED_OPS") ;;
	varied_d30) CMD=("$OUT/varied_churn" 30 "$VARIED_OPS") ;;
	xthread) CMD=("$OUT/xthread" "$XT_OPS") ;;
	xthread_1t) CMD=("$OUT/xthread" "$XT_OPS" 1) ;;
	live_big) CMD=("$OUT/live_sites" "$LIVE_BIG") ;;
	live_small) CMD=("$OUT/live_sites" "$LIVE_SMALL") ;;
	fd_churn) CMD=("$OUT/fd_churn" "$OUT/fd_target.bin" "$FD_ITERS") ;;
	fork_thread) CMD=("$OUT/fork_thread" "$FORKS" "$THREADS") ;;
	fork_nofollow) # fork_thread with children untraced, as heaptrack leaves them
		CMD=("$OUT/fork_thread" "$FORKS" "$THREADS")
		ENVV=(LEAK_FOLLOW_FORK=0)
		;;
	python3)
		CMD=("$PY" bench/py_workload.py "$PY_SCALE")
		ENVV=(PYTHONMALLOC=malloc)
		;;
	python3_nopy) # the same without Python frames (LEAK_PYTHON=0): their cost is the ratio
		CMD=("$PY" bench/py_workload.py "$PY_SCALE")
		ENVV=(PYTHONMALLOC=malloc LEAK_PYTHON=0)
		;;
	node) # http server and client in one process; JavaScript names on (the default)
		CMD=("$NODE" bench/node_workload.js "$NODE_REQS")
		;;
	node_nonames) # the same with LEAK_NODE=0: the names' cost is the ratio node/node_nonames
		CMD=("$NODE" bench/node_workload.js "$NODE_REQS")
		ENVV=(LEAK_NODE=0)
		;;
	sqlite3)
		CMD=("$SQLITE3" :memory:)
		STDIN=$OUT/workload.sql
		;;
	cc1) CMD=("$CC1" -quiet -fpreprocessed -O2 "$OUT/unit.i" -o "$WORK/unit.s") ;;
	spawn) # a service that shells out: python3 subprocess.run of true, SPAWNS times
		CMD=("$PY" -c "import subprocess
for i in range($SPAWNS): subprocess.run(['$(command -v true)'])")
		;;
	*)
		log "bench: unknown workload $1"
		exit 2
		;;
	esac
}
