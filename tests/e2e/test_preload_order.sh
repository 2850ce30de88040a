#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_preload_order.sh - another allocator preloaded together with libleak.so (Debian's
# libjemalloc2). libleak.so first: the allocations reach libleak's hooks and the 1000-byte
# leak is reported. jemalloc first: the program's malloc binds to jemalloc and nothing can be
# recorded, so libleak says so in exactly one stderr line naming the library and the order
# that works; stdout and the exit status are the program's either way.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

jemalloc=$(find /usr/lib /lib -name 'libjemalloc.so.2' 2>/dev/null | head -n 1)
[ -n "$jemalloc" ] || fail "libjemalloc.so.2 missing (scripts/install-deps check installs libjemalloc2)"

for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" preload_order)
	need "$p"
	run_native "$p"
	native=$(cat "$RUN_STDOUT")

	out=$TMP/first.$cc
	mkdir -p "$out"
	rc=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO:$jemalloc" LEAK_OUT="$out/" "$p" \
		>"$out/stdout" 2>"$out/stderr" </dev/null || rc=$?
	assert_eq "$rc" 0 "libleak first ($cc): status"
	assert_eq "$(cat "$out/stdout")" "$native" "libleak first ($cc): stdout"
	[ ! -s "$out/stderr" ] || fail "libleak first ($cc): stderr: $(cat "$out/stderr")"
	j=$(report_json "$out"/*.lkt)
	# Recorded, whatever the verdict: the scan may find the block from jemalloc's own
	# metadata, an anonymous mapping it roots (README, Limits).
	assert_jq "$j" '[.processes[].findings[] | select(.kind == "leak" or .kind == "reachable")
		| select(any(.stack[0:4][]; .function == "leak_one")) | .bytes] | add // 0' 1000 \
		"libleak first ($cc): the block lost under jemalloc is recorded"

	out=$TMP/second.$cc
	mkdir -p "$out"
	rc=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$jemalloc:$LEAK_SO" LEAK_OUT="$out/" "$p" \
		>"$out/stdout" 2>"$out/stderr" </dev/null || rc=$?
	assert_eq "$rc" 0 "jemalloc first ($cc): status"
	assert_eq "$(cat "$out/stdout")" "$native" "jemalloc first ($cc): stdout"
	assert_eq "$(wc -l <"$out/stderr")" 1 "jemalloc first ($cc): one stderr line"
	assert_match "$(cat "$out/stderr")" "^libleak: malloc is taken by .*libjemalloc\\.so\\.2.*put libleak\\.so first in LD_PRELOAD" \
		"jemalloc first ($cc): the line"
	note "$cc: libleak first records the leak; jemalloc first: $(cat "$out/stderr")"
done
