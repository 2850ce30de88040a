#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_bad_traces.sh - leak-report on the hand-made traces of tests/data (see
# tests/data/gen_traces.c): every unreadable input and every usage error gives exit 2 and
# exactly one stderr line naming the cause, never a crash; a truncated trace is read up to
# its last complete chunk (exit 0, "truncated": true); the complete sample trace matches
# tests/data/sample.json; --fail-on, --min-bytes, --top, -o and directories behave as
# documented (a --fail-on growth the growth test could not answer says so on stderr).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

DATA=$(cd "$(dirname "$0")/../data" && pwd)
need "$LEAK_REPORT"

# expect_error WANT_STDERR_LINE ARGS...: exit 2, empty stdout, stderr exactly that line.
expect_error() {
	local want=$1 rc=0
	shift
	timeout "$T_LIMIT" "$LEAK_REPORT" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq 2 ] || fail "leak-report $*: exit: expected 2, got $rc ($(cat "$TMP/err"))"
	[ ! -s "$TMP/out" ] || fail "leak-report $*: expected no stdout, got: $(head -c 300 "$TMP/out")"
	local lines
	lines=$(wc -l <"$TMP/err")
	[ "$lines" -eq 1 ] || fail "leak-report $*: stderr lines: expected 1, got $lines: $(cat "$TMP/err")"
	[ "$(cat "$TMP/err")" = "$want" ] ||
		fail "leak-report $*: stderr: expected '$want', got '$(cat "$TMP/err")'"
}

note "unreadable traces"
expect_error "leak-report: $DATA/empty.lkt: empty file" "$DATA/empty.lkt"
expect_error "leak-report: $DATA/random.lkt: not a libleak trace" "$DATA/random.lkt"
expect_error "leak-report: $DATA/foreign.lkt: not a libleak trace" "$DATA/foreign.lkt"
expect_error "leak-report: $DATA/v99.lkt: unsupported format version 99 (this build reads 1)" \
	--json "$DATA/v99.lkt"
# A damaged first chunk is skipped to the next valid one (test_damaged_traces.sh): the rest
# is reported, with a warning line.
"$LEAK_REPORT" --no-symbols "$DATA/corrupt.lkt" >"$TMP/corrupt.txt" ||
	fail "corrupt.lkt: leak-report failed: $(cat "$TMP/corrupt.txt")"
grep -q "warning: 238 bytes of damaged data skipped (corrupt chunk at offset 16 (zstd: Restored data doesn't match checksum))" \
	"$TMP/corrupt.txt" || fail "corrupt.lkt: no damage warning: $(cat "$TMP/corrupt.txt")"
expect_error "leak-report: $TMP/nope.lkt: No such file or directory" "$TMP/nope.lkt"
# A bad trace among good ones still fails the run.
expect_error "leak-report: $DATA/v99.lkt: unsupported format version 99 (this build reads 1)" \
	"$DATA/sample.lkt" "$DATA/v99.lkt"

note "usage errors"
expect_error "leak-report: unknown option '--bogus' (see --help)" --bogus "$DATA/sample.lkt"
expect_error "leak-report: option --top needs an argument N" "$DATA/sample.lkt" --top
expect_error "leak-report: --top: 'x' is not a count (0..4294967295)" --top x "$DATA/sample.lkt"
expect_error "leak-report: unknown finding kind 'leaks'" --fail-on leak,leaks "$DATA/sample.lkt"
expect_error "leak-report: no trace given (see --help)" --json
expect_error "leak-report: $TMP/no/such/dir/r.json: No such file or directory" \
	-o "$TMP/no/such/dir/r.json" "$DATA/sample.lkt"
timeout "$T_LIMIT" "$LEAK_REPORT" --help | grep -q -- '--fail-on KINDS' || fail "--help lacks --fail-on"

note "truncated trace: read up to the last complete chunk"
timeout "$T_LIMIT" "$LEAK_REPORT" --json --no-symbols "$DATA/truncated.lkt" >"$TMP/t.json" 2>"$TMP/err"
[ ! -s "$TMP/err" ] || fail "truncated.lkt: unexpected stderr: $(cat "$TMP/err")"
got=$(jq -c '.processes[0] | [.truncated, .snapshots, .exit_status, .heap_source,
	(.findings[0] | [.kind, .bytes, .count])]' "$TMP/t.json")
[ "$got" = '[true,4,null,"last_snapshot",["leak",2500,25]]' ] || fail "truncated.lkt: got $got"
timeout "$T_LIMIT" "$LEAK_REPORT" --no-symbols "$DATA/truncated.lkt" >"$TMP/t.txt"
grep -q 'truncated: incomplete chunk at offset 430' "$TMP/t.txt" || fail "truncated.lkt text: $(cat "$TMP/t.txt")"

note "sample trace: golden projection of the JSON"
timeout "$T_LIMIT" "$LEAK_REPORT" --json --no-symbols "$DATA/sample.lkt" >"$TMP/s.json"
jq -S '[.processes[] | {pid, ppid, exe, argv, snapshots, exit_status, truncated, dropped_events,
	findings: [.findings[] | {kind, bytes, count, fd_type, path, api, fds, pids, tids, state,
	inherited_by_exec, stack: [.stack[] | {addr, "module": .module, offset,
	"function": .function}]}]}]' "$TMP/s.json" >"$TMP/s.proj.json"
diff -u "$DATA/sample.json" "$TMP/s.proj.json" || fail "sample.lkt: JSON differs from tests/data/sample.json"

note "--fail-on, --min-bytes, --top, -o"
rc=0
timeout "$T_LIMIT" "$LEAK_REPORT" --fail-on fd,zombie "$DATA/sample.lkt" >/dev/null || rc=$?
[ "$rc" -eq 3 ] || fail "--fail-on fd,zombie: expected exit 3, got $rc"
rc=0
timeout "$T_LIMIT" "$LEAK_REPORT" --fail-on child --fail-on=reachable --min-bytes 1k \
	"$DATA/sample.lkt" >/dev/null || rc=$?
[ "$rc" -eq 0 ] || fail "--fail-on child,reachable with --min-bytes 1k: expected 0, got $rc"
# sample.lkt has 4 snapshots: a gate on growth there is untested, and says so (still exit 0).
rc=0
timeout "$T_LIMIT" "$LEAK_REPORT" --fail-on 'leak>1m,growth' "$DATA/sample.lkt" >/dev/null \
	2>"$TMP/err" || rc=$?
[ "$rc" -eq 0 ] || fail "--fail-on growth on 4 snapshots: expected exit 0, got $rc"
grep -qx "leak-report: --fail-on growth: not tested in the process: the growth test needs 8 snapshots before exit, it had 4; run longer or use -i" "$TMP/err" ||
	fail "--fail-on growth on 4 snapshots: no note that it was untested: $(cat "$TMP/err")"
got=$(timeout "$T_LIMIT" "$LEAK_REPORT" --json --min-bytes 200 "$DATA/sample.lkt" |
	jq -c '[.processes[0].findings[].kind]')
[ "$got" = '["leak","fd","zombie","thread","tempfile"]' ] || fail "--min-bytes 200: got $got"
timeout "$T_LIMIT" "$LEAK_REPORT" --json --top 2 -o "$TMP/o.json" "$DATA/sample.lkt" >"$TMP/out"
[ ! -s "$TMP/out" ] || fail "-o: stdout not empty"
got=$(jq -c '[.processes[0].findings_total, (.processes[0].findings | length)]' "$TMP/o.json")
[ "$got" = '[6,2]' ] || fail "--top 2 -o: got $got"

note "directory: every *.lkt, unreadable ones skipped with one line each"
mkdir "$TMP/dir"
cp "$DATA/sample.lkt" "$DATA/truncated.lkt" "$DATA/empty.lkt" "$TMP/dir/"
# --no-symbols: the golden traces name modules of another machine (a note each otherwise).
timeout "$T_LIMIT" "$LEAK_REPORT" --json --no-symbols "$TMP/dir" >"$TMP/d.json" 2>"$TMP/err"
[ "$(cat "$TMP/err")" = "leak-report: $TMP/dir/empty.lkt: empty file (skipped)" ] ||
	fail "directory: stderr: $(cat "$TMP/err")"
got=$(jq -c '[.processes[] | [.pid, .truncated]]' "$TMP/d.json")
[ "$got" = '[[4242,false],[4242,true]]' ] || fail "directory: got $got"
note "ok"
