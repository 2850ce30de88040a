#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_export.sh - `leak-report --format collapsed|pprof` on a real traced program (grow_cache,
# whose cache_store_value() grows and stays reachable), gcc and clang builds: the folded stacks
# of each metric sum to the JSON report's totals and name the growing function; the pprof file
# is gzip, decodes with `protoc --decode_raw` (an independent decoder), has the three sample
# types, "" at string 0, filled function/location/mapping tables with the program's build-id,
# and its per-type totals equal the JSON's and the collapsed sums. When a Go toolchain is
# installed, `go tool pprof` must read the file too. Bad option combinations exit 2.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_REPORT" "$LEAK_SO"
trace= # set by run_traced
command -v protoc >/dev/null || fail "protoc missing (Debian package protobuf-compiler)"

# sum_last FILE: sum of the last field of every line; fails on a line that is not "STACK N".
sum_last() {
	awk '!/^[^ ].* [0-9]+$/ { print "bad line " NR ": " $0 > "/dev/stderr"; bad = 1 }
		{ s += $NF } END { if (bad) exit 1; printf "%d\n", s }' "$1"
}

# The pprof file as JSON, decoded by protoc --decode_raw and parsed here (stdlib only).
pprof_json() {
	zcat "$1" | protoc --decode_raw >"$TMP/raw.txt" || fail "protoc --decode_raw rejects $1"
	python3 - "$TMP/raw.txt" <<'EOF'
import json, re, sys

def parse(lines, i):
    out = []
    while i < len(lines):
        s = lines[i].strip()
        i += 1
        if s == "}":
            return out, i
        m = re.match(r'^(\d+) \{$', s)
        if m:
            kids, i = parse(lines, i)
            out.append((int(m.group(1)), kids))
            continue
        m = re.match(r'^(\d+): (.*)$', s)
        if not m:
            raise SystemExit("unparsed line: " + s)
        v = m.group(2)
        if v.startswith('"'):
            v = v[1:-1].encode().decode("unicode_escape")
        else:
            v = int(v, 0)
        out.append((int(m.group(1)), v))
    return out, i

top, _ = parse(open(sys.argv[1]).read().splitlines(), 0)
def fields(msg, n):
    return [v for f, v in msg if f == n]
# A string that happens to parse as a message is shown as one: keep its index.
strings = [v if isinstance(v, str) else "<msg>" for v in fields(top, 6)]
def s(i):
    return strings[i]
types = [[s(fields(t, 1)[0]), s(fields(t, 2)[0])] for t in fields(top, 1)]
totals = [0] * len(types)
samples = fields(top, 2)
loc_ids = {fields(l, 1)[0] for l in fields(top, 4)}
map_ids = {fields(m, 1)[0] for m in fields(top, 3)}
func_ids = {fields(f, 1)[0] for f in fields(top, 5)}
dangling = 0
for smp in samples:
    for k, v in enumerate(fields(smp, 2)):
        totals[k] += v
    dangling += sum(1 for l in fields(smp, 1) if l not in loc_ids)
for l in fields(top, 4):
    dangling += sum(1 for m in fields(l, 2) if m not in map_ids)
    dangling += sum(1 for ln in fields(l, 4) for f in fields(ln, 1) if f not in func_ids)
print(json.dumps({
    "string0": strings[0] if strings else None,
    "types": types,
    "totals": totals,
    "samples": len(samples),
    "locations": len(loc_ids),
    "functions": sorted({s(fields(f, 2)[0]) for f in fields(top, 5)}),
    "mappings": [{"file": s(fields(m, 5)[0]), "build_id": s(fields(m, 6)[0])} for m in fields(top, 3)],
    "dangling_ids": dangling,
    "default_type": s(fields(top, 14)[0]) if fields(top, 14) else None,
}))
EOF
}

for cc in "${COMPILERS[@]}"; do
	note "$cc: grow_cache unbounded under libleak"
	exe=$(prog "$cc" grow_cache)
	need "$exe"
	LEAK_INTERVAL_MS=100 run_traced trace "$exe" unbounded 2
	assert_eq "$RUN_STATUS" 0 "grow_cache exit status"
	json=$(report_json "$trace")
	jbytes=$(jq_get "$json" '[.processes[].findings[] | select(.kind == "leak" or .kind == "reachable") | .bytes] | add // 0')
	jcount=$(jq_get "$json" '[.processes[].findings[] | select(.kind == "leak" or .kind == "reachable") | .count] | add // 0')
	[ "$jbytes" -gt 100000 ] || fail "$cc: expected over 100 KB live at exit, JSON says $jbytes"

	note "$cc: collapsed stacks sum to the JSON totals ($jbytes bytes, $jcount blocks)"
	for metric in live-bytes live-count growth allocs alloc-bytes; do
		timeout "$T_LIMIT" "$LEAK_REPORT" --format collapsed --metric "$metric" "$trace" \
			>"$TMP/$cc.$metric.folded" || fail "$cc: --format collapsed --metric $metric failed"
	done
	# Default metric is live bytes.
	timeout "$T_LIMIT" "$LEAK_REPORT" --format collapsed "$trace" >"$TMP/$cc.default.folded"
	cmp -s "$TMP/$cc.default.folded" "$TMP/$cc.live-bytes.folded" ||
		fail "$cc: --format collapsed without --metric differs from --metric live-bytes"
	assert_eq "$(sum_last "$TMP/$cc.live-bytes.folded")" "$jbytes" "$cc: collapsed live-bytes sum"
	assert_eq "$(sum_last "$TMP/$cc.live-count.folded")" "$jcount" "$cc: collapsed live-count sum"
	# Every allocation of the trace, freed or not, belongs to one stack (none is dropped
	# here), so the allocs lines sum to the process's total; live blocks are a part of them.
	assert_eq "$(sum_last "$TMP/$cc.allocs.folded")" "$(jq_get "$json" '.processes[0].total_allocs')" \
		"$cc: collapsed allocs sum"
	assert_eq "$(sum_last "$TMP/$cc.alloc-bytes.folded")" "$(jq_get "$json" '.processes[0].total_alloc_bytes')" \
		"$cc: collapsed alloc-bytes sum"
	grep -q 'cache_store_value' "$TMP/$cc.allocs.folded" || fail "$cc: no allocs line through cache_store_value"
	growth=$(sum_last "$TMP/$cc.growth.folded")
	# The cache grows ~1 MB/s on an idle machine but serves for a fixed wall time, so a loaded
	# machine grows it less: the floor only proves growth is there; the totals below must match.
	[ "$growth" -gt 10000 ] || fail "$cc: collapsed growth sums to $growth, expected over 10 KB"
	# --window: the growth of the last half second only, between 0 and the whole run's.
	timeout "$T_LIMIT" "$LEAK_REPORT" --format collapsed --metric growth --window -0.5: "$trace" \
		>"$TMP/$cc.window.folded" || fail "$cc: --window -0.5: failed"
	wgrowth=$(sum_last "$TMP/$cc.window.folded")
	if [ "$wgrowth" -le 0 ] || [ "$wgrowth" -ge "$growth" ]; then
		fail "$cc: growth over the last 0.5 s is $wgrowth, the whole run's $growth"
	fi
	# Outermost first: main before cache_store_value on the largest growth line.
	biggest=$(sort -t' ' -k2 -n -r "$TMP/$cc.growth.folded" | awk '{ $NF = ""; print; exit }')
	assert_match "$biggest" '(^|;)main;(.*;)?cache_store_value(;|[[:space:]]*$)' \
		"$cc: largest growth stack, outermost first"
	jgrow=$(jq_get "$json" '[.processes[].findings[] | select(.kind == "growth") | .stack[] | .function] | index("cache_store_value") != null')
	assert_eq "$jgrow" true "$cc: the JSON's growth findings name cache_store_value too"

	note "$cc: pprof decodes with protoc and has the same totals"
	timeout "$T_LIMIT" "$LEAK_REPORT" --format pprof -o "$TMP/$cc.pb.gz" "$trace" ||
		fail "$cc: --format pprof failed"
	gzip -t "$TMP/$cc.pb.gz" || fail "$cc: the pprof file is not gzip"
	pj=$(pprof_json "$TMP/$cc.pb.gz")
	assert_jq "$pj" '.string0' "" "$cc: string table starts with \"\""
	assert_jq "$pj" '.types | map(join("/")) | join(",")' \
		"inuse_space/bytes,inuse_objects/count,growth/bytes" "$cc: sample types"
	assert_jq "$pj" '.default_type' inuse_space "$cc: default sample type"
	assert_jq "$pj" '.totals[0]' "$jbytes" "$cc: pprof inuse_space total"
	assert_jq "$pj" '.totals[1]' "$jcount" "$cc: pprof inuse_objects total"
	assert_jq "$pj" '.totals[2]' "$growth" "$cc: pprof growth total equals collapsed growth"
	assert_jq "$pj" '.dangling_ids' 0 "$cc: ids that point at no location/mapping/function"
	assert_jq "$pj" '.locations > 3 and .samples > 0' true "$cc: locations and samples"
	assert_jq "$pj" '.functions | index("cache_store_value") != null and index("main") != null' \
		true "$cc: function table"
	bid=$(file -L "$exe" | sed -n 's/.*BuildID\[[a-z0-9]*\]=\([0-9a-f]*\).*/\1/p')
	[ -n "$bid" ] || fail "$cc: no build-id in $exe"
	assert_jq "$pj" "[.mappings[] | select(.file == \"$(realpath "$exe")\" or .file == \"$exe\") | .build_id] | index(\"$bid\") != null" \
		true "$cc: mapping of the program carries its build-id $bid"
	if command -v go >/dev/null && timeout 120 go tool pprof -raw "$TMP/$cc.pb.gz" >"$TMP/pprof.raw" 2>&1; then
		grep -q 'cache_store_value' "$TMP/pprof.raw" || fail "$cc: go tool pprof does not show cache_store_value"
		note "$cc: go tool pprof reads the profile"
	elif command -v go >/dev/null; then
		fail "$cc: go tool pprof rejects the profile: $(head -c 300 "$TMP/pprof.raw")"
	else
		note "go not installed: the pprof tool's own check is skipped (protoc checks ran)"
	fi
done

note "option errors exit 2"
rc=0
"$LEAK_REPORT" --format collapsed --metric bogus "$trace" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq "$rc" 2 "--metric bogus exit status"
assert_match "$(cat "$TMP/err")" "live-bytes, live-count, growth, allocs or alloc-bytes" "--metric bogus message"
rc=0
"$LEAK_REPORT" --json --metric growth "$trace" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq "$rc" 2 "--metric without --format collapsed exit status"
rc=0
"$LEAK_REPORT" --format svg "$trace" >/dev/null 2>"$TMP/err" || rc=$?
assert_eq "$rc" 2 "--format svg exit status"
echo "PASS"
