#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_growth_default.sh - growth verdicts on short runs at the default settings (no
# LEAK_INTERVAL_MS): the writer's schedule is dense at the start, so a steady leak running
# 5 s is a growth finding, also when the process is SIGKILLed at ~4 s; a bounded LRU that
# fills in its first second and then holds for 5 s is not (the warm-up plateau guard). A
# program that frees its growing list at exit keeps its growth finding, and the headline is
# the size before the teardown, also when periodic snapshots caught main half-way through
# the teardown or just after it (a pause there, as preemption would). Each trace says the
# growth test ran. The six programs run at the same time (they mostly sleep), about 6 s.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT" "$(prog gcc grow_cache)" "$(prog clang grow_cache)" \
	"$(prog clang grow_teardown)" "$(prog gcc grow_teardown)"

# bg NAME PROG ARGS...: run PROG under libleak at default settings, in the background.
bg() {
	local name=$1
	shift
	mkdir -p "$TMP/$name"
	(
		rc=0
		timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/$name/" "$@" \
			>"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null || rc=$?
		echo "$rc" >"$TMP/$name.rc"
	) &
}
note "unbounded cache 5 s (gcc), SIGKILL after ~4 s (clang), LRU 6 s (gcc), teardown 4 s (clang)"
note "teardown 4 s with a 500 ms pause half-way through it (gcc) and after it (clang)"
bg leak5 "$(prog gcc grow_cache)" unbounded 5
bg killed "$(prog clang grow_cache)" unbounded 0 400
bg lru "$(prog gcc grow_cache)" lru 6
bg teardown "$(prog clang grow_teardown)" 4
bg td_half "$(prog gcc grow_teardown)" 4 500 half
bg td_done "$(prog clang grow_teardown)" 4 500 "done"
wait
assert_eq "$(cat "$TMP/leak5.rc")" 0 "unbounded 5 s: exit status"
assert_eq "$(cat "$TMP/killed.rc")" 137 "killed: exit status (SIGKILL)"
assert_eq "$(cat "$TMP/lru.rc")" 0 "lru: exit status"
for name in teardown td_half td_done; do
	assert_eq "$(cat "$TMP/$name.rc")" 0 "$name: exit status"
done

# shellcheck disable=SC2016 # jq
G='def growth($f): [.processes[0].findings[] | select(.kind == "growth" and any(.stack[0:4][]; .function == $f))];'
for name in leak5 killed; do
	j=$(report_json "$TMP/$name"/*.lkt)
	assert_jq "$j" '.processes[0].growth_test.status' ran "$name: growth test ran"
	assert_jq "$j" '.processes[0].growth_test.snapshots >= 16' true "$name: snapshots at the default interval"
	assert_jq "$j" "$G growth(\"cache_store_value\") | length" 1 "$name: growth at cache_store_value"
	assert_jq "$j" "$G growth(\"cache_store_value\")[0] | .bytes_per_sec > 100000 and .last_bytes > .first_bytes" true \
		"$name: rate and first/last"
done
j=$(report_json "$TMP/killed"/*.lkt)
assert_jq "$j" '.processes[0].cut_short' true "killed: trace without END"

j=$(report_json "$TMP/lru"/*.lkt)
assert_jq "$j" '.processes[0].growth_test.status' ran "lru: growth test ran"
assert_jq "$j" '[.processes[0].findings[] | select(.kind == "growth" or .kind == "rss")] | length' 0 \
	"lru: no growth for a cache that fills and holds"

note "teardown at exit: growth stays, headline before the teardown"
for name in teardown td_half td_done; do
	j=$(report_json "$TMP/$name"/*.lkt)
	assert_jq "$j" "$G growth(\"records_append\") | length" 1 "$name: growth at records_append"
	# Records of 1008 bytes; the last snapshot before the teardown is at most an interval
	# (a twelfth of the run, ~35 records) short of all of them, and half is far below.
	n=$(sed -n 's/^records \([0-9]*\)$/\1/p' "$TMP/$name.out")
	[ -n "$n" ] || fail "$name: no record count in: $(cat "$TMP/$name.out")"
	assert_jq "$j" "$G growth(\"records_append\")[0] | .bytes >= $n * 1008 * 0.8 and .last_bytes == .bytes and .last_bytes > .first_bytes" true \
		"$name: bytes and last_bytes are the size before the teardown ($n records)"
done
t=("$TMP/teardown"/*.lkt)
text=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" "${t[@]}")
line=$(grep -m1 ' growth ' <<<"$text") || fail "no growth line in: $text"
assert_match "$line" 'growth +[0-9.]+ KiB +grows' "teardown: text headline has the size"
if grep -q -- '-> 0 B' <<<"$line"; then
	fail "teardown headline ends at 0 B: $line"
fi
echo ok
