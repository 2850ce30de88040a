#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_growth_short.sh - growth verdicts on runs of about a second, through scripts/leak-run at
# the default settings, of a C++ program whose std::map cache static destructors free before
# the exit snapshot (grow_static_map.cc). The exit snapshot never decides the verdict: a
# cache that only grows for 1.1 s (about 10 snapshots before exit, so the tested part used to
# be 8 points ending in the teardown) is a growth finding at cache_insert, sized before the
# teardown; one that holds its size is not; one drained by an atexit handler over 0.4 s,
# with periodic snapshots during the drain, is growth too (those snapshots are marked as taken
# while exiting and left out); and a 0.4 s run says the test could not run, in the JSON and
# in the text, instead of ran-and-found-nothing; the text shows a growth window of about a
# second in tenths. A child an atexit handler forks (forkgrow)
# is a running program of its own: its snapshots count and its growth is found. The three
# lost new[] blocks are leaks in every run. The runs go at the same time: about 2 s in all
# (and 3.3 s more for a run a loaded machine starved).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

LEAK_RUN=$(cd "$(dirname "$0")/../.." && pwd)/scripts/leak-run
export LIBLEAK_SO=$LEAK_SO LEAK_REPORT=$LEAK_REPORT # this build's tools, whatever is installed
need "$LEAK_SO" "$LEAK_REPORT" "$LEAK_RUN" "$(prog gcc grow_static_map)" "$(prog clang grow_static_map)"

# bg NAME CC ARGS...: leak-run --json of grow_static_map ARGS built by CC, in the background.
bg() {
	local name=$1 cc=$2
	shift 2
	(
		rc=0
		timeout -k 5 "$T_LIMIT" "$LEAK_RUN" --json -o "$TMP/$name" -- "$(prog "$cc" grow_static_map)" "$@" \
			>"$TMP/$name.json" 2>"$TMP/$name.err" </dev/null || rc=$?
		echo "$rc" >"$TMP/$name.rc"
	) &
}
note "grow 1.1 s (gcc, clang), steady 1.1 s (clang), drain 1.1 s (gcc), grow 0.4 s (gcc)"
bg grow_gcc gcc grow 1.1
bg grow_clang clang grow 1.1
bg steady clang steady 1.1
bg drain gcc drain 1.1
bg short gcc grow 0.4
bg forkgrow clang forkgrow 1.1
wait

# The writer's schedule follows the clock, so a machine loaded enough to starve the runs may
# leave a 1.1 s run fewer than the 8 snapshots the test needs (README: the test then says it
# could not run). Such a run is recognised by its own progress too: under half the nominal one
# insert a millisecond. That one alone is run again, 3.3 s; a run that made its progress and
# still could not test is a failure as before.
again() {
	local name=$1 cc=$2 mode=$3 n
	jq -e '[.processes[] | select(.growth_test.status == "ran")] | length == 0' "$TMP/$name.json" >/dev/null || return 0
	n=$(sed -n 's/^\(child \)\{0,1\}inserted \([0-9]*\).*/\2/p' "$TMP/$name.err" | tail -n 1)
	[ -n "$n" ] && [ "$n" -lt 550 ] || return 0
	note "$name: $n inserts in 1.1 s (a starved run), no growth test: again for 3.3 s"
	rm -rf "${TMP:?}/$name"
	bg "$name" "$cc" "$mode" 3.3
	wait
}
again grow_gcc gcc grow
again grow_clang clang grow
again steady clang steady
again drain gcc drain
again forkgrow clang forkgrow
for name in grow_gcc grow_clang steady drain short forkgrow; do
	assert_eq "$(cat "$TMP/$name.rc")" 0 "$name: exit status"
done

# Findings of kind K with function F among their first frames: clang names a static C++
# function with its parameters, "F(int)", gcc as "F".
# shellcheck disable=SC2016 # jq
G='def at($k; $f): [.processes[0].findings[] | select(.kind == $k and any(.stack[0:6][]; (.function // "") | test("^" + $f + "(\\(.*\\))?$")))];
def growth($f): at("growth"; $f);'
for name in grow_gcc grow_clang steady drain short; do
	j=$(cat "$TMP/$name.json")
	assert_jq "$j" "$G [at(\"leak\"; \"lost_blocks\")[].count] | add" 3 "$name: the lost new[] blocks"
done
for name in grow_gcc grow_clang drain; do
	j=$(cat "$TMP/$name.json")
	assert_jq "$j" '.processes[0].growth_test.status' ran "$name: growth test ran"
	assert_jq "$j" '.processes[0].growth_test.snapshots >= 8 and .processes[0].growth_test.snapshots < .processes[0].snapshots' \
		true "$name: snapshots before exit counted"
	assert_jq "$j" "$G growth(\"cache_insert\") | length > 0" true "$name: growth at cache_insert"
	# Sized before the teardown: each is its stack's size at the last snapshot taken while
	# the program ran (the cache's size then depends on how fast a loaded machine let it
	# insert, so no fixed number), which the teardown at exit then freed.
	last=$(jq_get "$j" '.processes[0].growth_test.snapshots - 1')
	d=$(report_json --diff "$last" -1 "$TMP/$name")
	both=$(jq -c --argjson d "$d" '. + {exit_diff: $d.processes[0].diff}' <<<"$j")
	assert_jq "$both" "$G (.exit_diff | map({key: (.stack_id | tostring), value: .}) | from_entries) as \$at
		| growth(\"cache_insert\") as \$g | \$g | length > 0 and ([\$g[] | \$at[.stack_id | tostring] as \$d
		| select(.last_bytes > .first_bytes and .bytes == .last_bytes and .bytes == \$d.bytes_a and \$d.bytes_b < .bytes)]
		| length == (\$g | length))" \
		true "$name: sized before the teardown (at snapshot $last, the last before exit)"
done

# The text gives a run of about a second its window in tenths ("over 0.1-0.9 s", not "0-1 s").
text=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" "$TMP/grow_gcc")
assert_match "$text" 'growth +[0-9.]+ [KM]iB +grows .* over 0\.[0-9]-[0-3]\.[0-9] s\)' \
	"grow_gcc: text window in tenths of a second"

# The drain's ~0.4 s holds three or more periodic snapshots, none counted.
j=$(cat "$TMP/drain.json")
assert_jq "$j" '.processes[0].snapshots - .processes[0].growth_test.snapshots >= 3' true \
	"drain: snapshots during the exit handler not counted"

j=$(cat "$TMP/steady.json")
assert_jq "$j" '.processes[0].growth_test.status' ran "steady: growth test ran"
assert_jq "$j" '[.processes[0].findings[] | select(.kind == "growth" or .kind == "rss")] | length' 0 \
	"steady: no growth for a cache that holds its size"

note "forkgrow: the child forked at exit is tested as a running program"
# shellcheck disable=SC2016 # jq
C='.processes[] | select(.forked)'
j=$(jq "$C" "$TMP/forkgrow.json")
assert_jq "$j" '.growth_test.status' ran "forkgrow child: growth test ran"
assert_jq "$j" '[.findings[] | select(.kind == "growth" and any(.stack[0:6][]; (.function // "") | test("^cache_insert")))] | length > 0' \
	true "forkgrow child: growth at cache_insert"

note "0.4 s: too short, and said so"
j=$(cat "$TMP/short.json")
assert_jq "$j" '.processes[0].growth_test | .status == "inconclusive" and .snapshots < 8 and .needed == 8' true \
	"short: growth test inconclusive"
assert_jq "$j" '[.processes[0].findings[] | select(.kind == "growth")] | length' 0 "short: no growth finding"
text=$(timeout -k 5 "$T_LIMIT" "$LEAK_REPORT" "$TMP/short")
assert_match "$text" 'growth test: [0-7] snapshots? before exit, needs 8; run longer or use -i' "short: text says so"
echo ok
