#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_sample.sh - LEAK_SAMPLE end to end: the unbounded cache of grow_cache (growth at
# cache_store_value, about 4 MB by the end) traced twice, in full and sampled by bytes with a
# mean of 16 KiB. The sampled trace says its mean, still flags the growth at the same stack,
# and its estimate of that stack's live bytes lies within 40% of the full count (the Poisson
# error is about sqrt(16 KiB / 4 MB) = 6%, so 40% is over six sigma).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
p=$(prog gcc grow_cache)
need "$p"
full='' sampled='' # set by run_traced
LEAK_INTERVAL_MS=100 run_traced full "$p" unbounded 60 -400
assert_eq "$RUN_STATUS" 0 "grow_cache, full tracking: exit status"
LEAK_SAMPLE=16384 LEAK_INTERVAL_MS=100 run_traced sampled "$p" unbounded 60 -400
assert_eq "$RUN_STATUS" 0 "grow_cache, sampled: exit status"

# shellcheck disable=SC2016 # jq variables
AT='select(any(.stack[0:4][]; .function == "cache_store_value"))'
jf=$(report_json "$full")
js=$(report_json "$sampled")
assert_jq "$jf" '.processes[0].sample_bytes' 0 "full trace: sample_bytes"
assert_jq "$js" '.processes[0].sample_bytes' 16384 "sampled trace: sample_bytes"

note "growth still flagged"
assert_jq "$js" "[.processes[0].findings[] | select(.kind == \"growth\") | $AT] | length" 1 \
	"sampled: growth findings at cache_store_value"

note "estimate of the growing stack"
fb=$(jq -r "[.processes[0].findings[] | select(.kind == \"growth\") | $AT][0].last_bytes" <<<"$jf")
sb=$(jq -r "[.processes[0].findings[] | select(.kind == \"growth\") | $AT][0].last_bytes" <<<"$js")
[ "$fb" -gt 1000000 ] || fail "full tracking: cache_store_value holds $fb bytes (expected > 1 MB)"
note "cache_store_value: full $fb bytes, sampled estimate $sb bytes"
awk -v f="$fb" -v s="$sb" 'BEGIN { e = s / f - 1; exit !(e > -0.4 && e < 0.4) }' ||
	fail "sampled estimate $sb bytes vs full $fb bytes: off by more than 40%"

echo ok
