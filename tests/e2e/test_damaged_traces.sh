#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_damaged_traces.sh - a damaged trace loses only the damage, and a trace that is only a
# header is no bogus process. A real trace of ~10 chunks gets bytes flipped inside a middle
# chunk, then a stretch of garbage written over a chunk boundary: leak-report must skip to
# the next valid chunk, say how many bytes it skipped (a warning line in text,
# "skipped_bytes" in JSON) and report the rest, complete with its exit status. A process
# killed by SIGKILL before its first snapshot leaves a header: its JSON has no "exe" (never
# null), "header_only": true, and the text says so in one line.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
command -v python3 >/dev/null || fail "python3 missing (scripts/install-deps check)"

t=
p=$(prog gcc grow_realloc)
need "$p"
LEAK_INTERVAL_MS=50 run_traced t "$p" 1
assert_eq "$RUN_STATUS" 0 "grow_realloc exit status"
whole=$(report_json "$t")
n=$(jq '.processes[0].snapshots' <<<"$whole")
[ "$n" -ge 8 ] || fail "expected at least 8 snapshots in the clean trace, got $n"

# damage MODE IN OUT: flip bytes inside the middle chunk (flip) or overwrite 200 bytes
# across the boundary after it with garbage (smear). Prints the offset of the first chunk
# damaged and how many chunks the damage touches.
damage() {
	python3 - "$@" <<'PY'
import sys
mode, src, dst = sys.argv[1:4]
d = bytearray(open(src, 'rb').read())
offs, off = [], 16
while off + 12 <= len(d):
    offs.append(off)
    off += 12 + int.from_bytes(d[off + 4:off + 8], 'little')
mid = offs[len(offs) // 2]
if mode == 'flip':
    lo, hi = mid + 14, mid + 30
    for i in range(lo, hi):
        d[i] ^= 0xa5
else:
    nxt = offs[len(offs) // 2 + 1]
    lo, hi = nxt - 100, nxt + 100
    d[lo:hi] = b'\x00hi from a program\n' * 10 + b'\x00' * 10
ends = offs[1:] + [len(d)]
hit = [o for o, e in zip(offs, ends) if o < hi and e > lo]  # the chunks the damage touches
open(dst, 'wb').write(d)
print(hit[0], len(hit))
PY
}

for mode in flip smear; do
	bad=$TMP/leak.grow_realloc.$mode.lkt
	read -r at lost < <(damage "$mode" "$t" "$bad")
	j=$(report_json "$bad")
	assert_jq "$j" '.processes[0].truncated' false "$mode: damage in the middle is no truncation"
	assert_jq "$j" '.processes[0].exit_status' 0 "$mode: the END after the damage is read"
	assert_jq "$j" '.processes[0].skipped_bytes > 0' true "$mode: skipped bytes reported"
	assert_jq "$j" ".processes[0].damage | startswith(\"corrupt chunk at offset $at\")" true "$mode: where"
	got=$(jq '.processes[0].snapshots' <<<"$j")
	assert_eq "$got" $((n - lost)) "$mode: snapshots read (all but the $lost damaged chunk(s))"
	assert_jq "$j" '[.processes[0].findings[] | select(.kind == "growth")] | length > 0' true "$mode: growth still found"
	txt=$("$LEAK_REPORT" --no-symbols "$bad")
	assert_match "$txt" "warning: [0-9]+ bytes of damaged data skipped in 1 place \\(first: corrupt chunk at offset $at" "$mode: text warning"
	note "$mode: $got of $n snapshots read, $(jq '.processes[0].skipped_bytes' <<<"$j") bytes skipped"
done

# A child killed before its first snapshot: only the header.
mkdir -p "$TMP/ho"
rc=0
timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/ho/leak.%e.%p.lkt" \
	bash -c 'kill -KILL $$' || rc=$?
assert_eq "$rc" 137 "bash killed by SIGKILL"
ho=("$TMP"/ho/*.lkt)
assert_eq "${#ho[@]}" 1 "one trace"
assert_eq "$(stat -c %s "${ho[0]}")" 16 "the trace is only a header"
j=$(report_json "${ho[0]}")
assert_jq "$j" '.processes[0] | [has("exe"), has("ppid"), .header_only, .truncated] | map(tostring) | join(",")' \
	"false,false,true,true" "header-only JSON: no exe or ppid, header_only"
assert_jq "$j" '.processes[0] | [has("argv"), has("start")] | map(tostring) | join(",")' "false,false" \
	"header-only JSON: no argv or times"
txt=$("$LEAK_REPORT" "${ho[0]}")
assert_eq "$(wc -l <<<"$txt")" 1 "header-only text is one line"
assert_match "$txt" '^leak\.bash\.[0-9]+\.lkt \[pid [0-9]+\]: only a header, no snapshot' "header-only text"
note "header-only: $txt"
