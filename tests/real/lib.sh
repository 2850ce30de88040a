# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# lib.sh - run a program natively and under libleak.so, and prove the preload changed nothing:
# same exit status, same stdout (after an optional normaliser), optionally the same stderr and
# the same output files, and every trace it wrote reads with `leak-report --json` (exit 0,
# not truncated unless allowed). Used by tests/real/run.sh (the real-program matrix),
# tests/e2e/test_hard_*.sh and tests/e2e/test_faults.sh.
#
# Source tests/e2e/lib.sh first (TMP, LEAK_SO, LEAK_REPORT, T_LIMIT, fail, note).
#
#   lkr_pair NAME CMD...   run CMD twice, in $TMP/NAME/{native,leak}/work as its cwd, under
#                          timeout. LKR_MODE=native|leak, LKR_DIR (the run's directory) and
#                          LKR_TRACES are exported; the word @DIR@ in CMD becomes the run's
#                          directory. With LKR_WRAP=1 (default) the leak run gets LD_PRELOAD
#                          and LEAK_OUT=$LKR_TRACES/leak.%e.%p.lkt for the whole CMD; with
#                          LKR_WRAP=0 CMD applies it itself, to the right process, with
#                          lkr_under. Then compares the runs and checks the traces.
# Knobs (plain variables, set before the call; they are reset to defaults after it):
#   LKR_LIMIT=SECONDS       bound for each run (default T_LIMIT)
#   LKR_NORM=FUNCTION       filter stdout through FUNCTION (stdin -> stdout) before comparing
#   LKR_CMP_STDERR=1        compare stderr too (default: only require that the leak run's
#                           stderr has no libleak line that the native one lacks)
#   LKR_STDERR_EXTRA=N      the leak run must print exactly N more stderr lines, each naming
#                           libleak (fault tests: "one line on stderr")
#   LKR_ARTIFACTS="f ..."   files (relative to the run's work dir) that must be identical
#   LKR_MIN_TRACES=N        at least N traces (default 1); LKR_TRACES_EXACT=N: exactly N
#   LKR_ALLOW_TRUNCATED=1   truncated traces are fine (killed, _exit, fault tests)
#   LKR_MAX_TRUNCATED=N     at most N truncated traces (docs/FORMAT.md: a process that ends
#                           with _exit before the final snapshot leaves no END record)
#   LKR_HEADER_ONLY_OK=1    a trace that is only a header (the process left with _exit before
#                           its first snapshot: dash, fork children, os._exit) is fine; their
#                           number is LKR_N_HEADER_ONLY
#   LKR_TRUNC_OK_EXES="a b" truncated traces of these executables (basenames, else the %e
#                           part of the trace name) are fine, e.g. dash, which leaves with _exit
#   LKR_EXPECT_STATUS=N     the native run itself must end with status N (catches a broken
#                           test that fails the same way twice)
# After lkr_pair: LKR_NATIVE and LKR_LEAK are the two run directories, LKR_JSON the report
# of all traces, LKR_N_TRACES, LKR_N_TRUNCATED, LKR_DROPPED (sum of dropped_events), LKR_ALLOCS
# (allocations recorded, summed over the traces).

lkr_reset() {
	LKR_LIMIT=${T_LIMIT:-60}
	LKR_NORM=
	LKR_CMP_STDERR=0
	LKR_STDERR_EXTRA=
	LKR_ARTIFACTS=
	LKR_MIN_TRACES=1
	LKR_TRACES_EXACT=
	LKR_ALLOW_TRUNCATED=0
	LKR_MAX_TRUNCATED=0
	LKR_TRUNC_OK_EXES=
	LKR_HEADER_ONLY_OK=0
	LKR_EXPECT_STATUS=
	LKR_WRAP=1
}
lkr_reset

# lkr_under CMD...: run CMD under the preload when LKR_MODE=leak, natively otherwise.
lkr_under() {
	if [ "${LKR_MODE:-native}" = leak ]; then
		LD_PRELOAD=$LEAK_SO LEAK_OUT=${LKR_TRACES:?}/leak.%e.%p.lkt "$@"
	else
		"$@"
	fi
}

# lkr_run MODE DIR CMD...: one run (see lkr_pair). Never fails by itself; the status goes to
# DIR/status (124 and 137 mean the time bound hit).
lkr_run() {
	local mode=$1 dir=$2
	shift 2
	local args=() a rc=0
	for a in "$@"; do
		args+=("${a//@DIR@/$dir}")
	done
	rm -rf "$dir"
	mkdir -p "$dir/work" "$dir/traces"
	local start=$SECONDS
	if [ "$mode" = leak ] && [ "$LKR_WRAP" = 1 ]; then
		# The preload goes on inside timeout (bash sets it and execs), so that only the
		# program is traced, not timeout(1) and its fork.
		# shellcheck disable=SC2016 # expanded by that bash
		(cd "$dir/work" && LKR_MODE=$mode LKR_DIR=$dir LKR_TRACES=$dir/traces \
			timeout -k 5 "$LKR_LIMIT" bash -c \
			'export LD_PRELOAD=$1 LEAK_OUT=$2; shift 2; exec "$@"' lkr-run \
			"$LEAK_SO" "$dir/traces/leak.%e.%p.lkt" "${args[@]}" \
			>"$dir/stdout" 2>"$dir/stderr" </dev/null) || rc=$?
	else
		(cd "$dir/work" && LKR_MODE=$mode LKR_DIR=$dir LKR_TRACES=$dir/traces \
			timeout -k 5 "$LKR_LIMIT" "${args[@]}" >"$dir/stdout" 2>"$dir/stderr" \
			</dev/null) || rc=$?
	fi
	echo "$rc" >"$dir/status"
	echo "$((SECONDS - start))" >"$dir/seconds"
}

# _lkr_show WHAT FILE: the first lines of FILE in the log, indented.
_lkr_show() {
	echo "    $1:" >&2
	head -n 30 "$2" | sed 's/^/    | /' >&2 || true
}

# lkr_compare NATIVE_DIR LEAK_DIR WHAT: the two runs behaved the same (see the knobs above).
lkr_compare() {
	local nd=$1 ld=$2 what=$3 ns ls
	ns=$(cat "$nd/status")
	ls=$(cat "$ld/status")
	# timeout(1) ends a run that overran with 124 (TERM) or 137 (KILL after -k); a program
	# that kills itself with SIGKILL also ends with 137, but quickly.
	if [ "$ns" = 124 ] || { [ "$ns" = 137 ] && [ "$(cat "$nd/seconds")" -ge "$LKR_LIMIT" ]; }; then
		_lkr_show "native stderr" "$nd/stderr"
		fail "$what: the native run itself timed out after ${LKR_LIMIT}s (status $ns)"
	fi
	if [ -n "$LKR_EXPECT_STATUS" ] && [ "$ns" != "$LKR_EXPECT_STATUS" ]; then
		_lkr_show "native stdout" "$nd/stdout"
		_lkr_show "native stderr" "$nd/stderr"
		fail "$what: the native run ended with status $ns, the test expects $LKR_EXPECT_STATUS"
	fi
	if [ "$ls" = 124 ] || { [ "$ls" = 137 ] && [ "$(cat "$ld/seconds")" -ge "$LKR_LIMIT" ]; }; then
		_lkr_show "stderr under libleak" "$ld/stderr"
		fail "$what: HANG under libleak: killed after ${LKR_LIMIT}s (native: status $ns in $(cat "$nd/seconds")s)"
	fi
	if [ "$ns" != "$ls" ]; then
		_lkr_show "stderr under libleak" "$ld/stderr"
		fail "$what: exit status changed under libleak: native $ns, with libleak $ls"
	fi
	local norm=cat
	[ -n "$LKR_NORM" ] && norm=$LKR_NORM
	"$norm" <"$nd/stdout" >"$nd/stdout.norm"
	"$norm" <"$ld/stdout" >"$ld/stdout.norm"
	if ! cmp -s "$nd/stdout.norm" "$ld/stdout.norm"; then
		diff -u "$nd/stdout.norm" "$ld/stdout.norm" | head -n 40 | sed 's/^/    | /' >&2 || true
		fail "$what: stdout changed under libleak (diff native -> libleak above)"
	fi
	if [ "$LKR_CMP_STDERR" = 1 ] && ! cmp -s "$nd/stderr" "$ld/stderr"; then
		diff -u "$nd/stderr" "$ld/stderr" | head -n 40 | sed 's/^/    | /' >&2 || true
		fail "$what: stderr changed under libleak (diff native -> libleak above)"
	fi
	local extra
	extra=$(grep -ci libleak "$ld/stderr" || true)
	extra=$((extra - $(grep -ci libleak "$nd/stderr" || true)))
	# Servers started in the background log to work/*.out (common.sh start_server).
	local f n
	for f in "$ld"/work/*.out; do
		[ -f "$f" ] || continue
		n=$(grep -ci libleak "$f" || true)
		if [ "$n" -gt 0 ] && [ "$LKR_CMP_STDERR" != 1 ] && [ -z "$LKR_STDERR_EXTRA" ]; then
			grep -i libleak "$f" | head -n 10 | sed 's/^/    | /' >&2
			fail "$what: libleak printed $n line(s) into $(basename "$f") (a server's stderr)"
		fi
	done
	if [ -n "$LKR_STDERR_EXTRA" ]; then
		local nl ll
		nl=$(wc -l <"$nd/stderr")
		ll=$(wc -l <"$ld/stderr")
		if [ $((ll - nl)) -ne "$LKR_STDERR_EXTRA" ] || [ "$extra" -ne "$LKR_STDERR_EXTRA" ]; then
			_lkr_show "stderr under libleak" "$ld/stderr"
			fail "$what: expected exactly $LKR_STDERR_EXTRA more stderr line(s) naming libleak, got $((ll - nl)) more line(s), $extra naming libleak"
		fi
	elif [ "$LKR_CMP_STDERR" != 1 ] && [ "$extra" -gt 0 ]; then
		grep -i libleak "$ld/stderr" | head -n 10 | sed 's/^/    | /' >&2
		fail "$what: libleak printed $extra warning line(s) on a run that should be clean"
	fi
	for f in $LKR_ARTIFACTS; do
		[ -e "$nd/work/$f" ] || fail "$what: the native run wrote no $f"
		if ! cmp -s "$nd/work/$f" "$ld/work/$f"; then
			diff -u "$nd/work/$f" "$ld/work/$f" | head -n 40 | sed 's/^/    | /' >&2 || true
			fail "$what: output file $f changed under libleak"
		fi
	done
}

# lkr_check_traces DIR WHAT: every trace in DIR reads (leak-report --json exit 0), their count
# is right and, unless LKR_ALLOW_TRUNCATED=1, none is truncated. Sets LKR_JSON, LKR_N_TRACES,
# LKR_N_TRUNCATED, LKR_DROPPED.
lkr_check_traces() {
	local dir=$1 what=$2 rc=0 t
	local traces=()
	for t in "$dir"/*.lkt; do
		[ -e "$t" ] && traces+=("$t")
	done
	LKR_N_TRACES=${#traces[@]}
	[ "$LKR_N_TRACES" -ge "$LKR_MIN_TRACES" ] ||
		fail "$what: $LKR_N_TRACES trace(s) written in $dir, expected at least $LKR_MIN_TRACES"
	if [ -n "$LKR_TRACES_EXACT" ] && [ "$LKR_N_TRACES" -ne "$LKR_TRACES_EXACT" ]; then
		find "$dir" -maxdepth 1 -printf '    | %f %s bytes\n' >&2
		fail "$what: $LKR_N_TRACES trace(s) written, expected exactly $LKR_TRACES_EXACT"
	fi
	# docs/FORMAT.md: traces are created mode 0600 (they reveal addresses, paths).
	for t in "${traces[@]}"; do
		[ "$(stat -c %a "$t")" = 600 ] || fail "$what: $t has mode $(stat -c %a "$t"), not 600"
	done
	[ "$LKR_N_TRACES" -gt 0 ] || {
		LKR_JSON='{"processes":[]}' LKR_N_TRUNCATED=0 LKR_DROPPED=0 LKR_N_HEADER_ONLY=0 LKR_ALLOCS=0
		LKR_HEADER_ONLY_EXES=
		return 0
	}
	LKR_JSON=$(timeout -k 5 "$((T_LIMIT * 2))" "$LEAK_REPORT" --json "${traces[@]}" \
		2>"$dir.report-stderr") || rc=$?
	if [ "$rc" -ne 0 ]; then
		# Name the culprit(s): read each trace alone.
		for t in "${traces[@]}"; do
			local one=0
			timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" --json "$t" >/dev/null 2>"$dir.one-stderr" ||
				one=$?
			[ "$one" -eq 0 ] || echo "    $t: leak-report exit $one: $(head -c 300 "$dir.one-stderr")" >&2
		done
		fail "$what: leak-report --json on the $LKR_N_TRACES trace(s) exited $rc: $(head -c 300 "$dir.report-stderr")"
	fi
	local n_procs
	n_procs=$(jq '.processes | length' <<<"$LKR_JSON") || fail "$what: leak-report printed invalid JSON"
	[ "$n_procs" -eq "$LKR_N_TRACES" ] ||
		fail "$what: leak-report listed $n_procs processes for $LKR_N_TRACES traces"
	LKR_N_TRUNCATED=$(jq '[.processes[] | select(.truncated)] | length' <<<"$LKR_JSON")
	LKR_DROPPED=$(jq '[.processes[].dropped_events // 0] | add // 0' <<<"$LKR_JSON")
	# Proof the preload was at work, not silently off: allocations it recorded.
	# shellcheck disable=SC2034 # read by the callers
	LKR_ALLOCS=$(jq '[.processes[].total_allocs // 0] | add // 0' <<<"$LKR_JSON")
	LKR_N_HEADER_ONLY=$(jq '[.processes[] | select(.truncated and .snapshots == 0 and
		((.truncation // "") | test("before its first snapshot")))] | length' <<<"$LKR_JSON")
	# Which programs those were: the %e part of the trace names (they have no PROCESS record).
	LKR_HEADER_ONLY_EXES=$(jq -r '[.processes[] | select(.truncated and .snapshots == 0)
		| (.trace // "?") | split("/") | last | split(".")[1] // "?"] | unique | join(" ")' \
		<<<"$LKR_JSON")
	# Truncated traces not excused by LKR_TRUNC_OK_EXES or LKR_HEADER_ONLY_OK.
	local bad
	# shellcheck disable=SC2016 # jq variables
	bad=$(jq --arg ok " $LKR_TRUNC_OK_EXES " --arg ho "$LKR_HEADER_ONLY_OK" '[.processes[]
		| select(.truncated)
		| select($ho != "1" or .snapshots != 0
			or ((.truncation // "") | test("before its first snapshot") | not))
		| (if .exe then .exe | split("/") | last
		   else (.trace // "?") | split("/") | last | split(".")[1] // "?" end) as $b
		| select($ok | contains(" " + $b + " ") | not)] | length' \
		<<<"$LKR_JSON")
	if [ "$LKR_ALLOW_TRUNCATED" != 1 ] && [ "$bad" -gt "$LKR_MAX_TRUNCATED" ]; then
		jq -r '.processes[] | select(.truncated) | "    truncated: \(.trace): \(.truncation)"' \
			<<<"$LKR_JSON" | head -n 20 >&2
		fail "$what: $bad of $LKR_N_TRACES trace(s) are truncated though every process exited normally (at most $LKR_MAX_TRUNCATED expected${LKR_TRUNC_OK_EXES:+, besides $LKR_TRUNC_OK_EXES})"
	fi
}

# lkr_pair NAME CMD...: see the top of this file.
lkr_pair() {
	local name=$1
	shift
	LKR_NATIVE=$TMP/$name/native
	LKR_LEAK=$TMP/$name/leak
	lkr_run native "$LKR_NATIVE" "$@"
	lkr_run leak "$LKR_LEAK" "$@"
	lkr_compare "$LKR_NATIVE" "$LKR_LEAK" "$name"
	lkr_check_traces "$LKR_LEAK/traces" "$name"
	note "$name: status $(cat "$LKR_LEAK/status"), stdout identical, $LKR_N_TRACES trace(s) read" \
		"($LKR_N_TRUNCATED truncated, $LKR_N_HEADER_ONLY of them header-only${LKR_HEADER_ONLY_EXES:+: $LKR_HEADER_ONLY_EXES}, $LKR_DROPPED dropped events);" \
		"native $(cat "$LKR_NATIVE/seconds")s, libleak $(cat "$LKR_LEAK/seconds")s"
	lkr_reset
}
