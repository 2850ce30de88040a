#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_soak_gate.sh - leak-soak verdicts that can be trusted, at the default interval:
#   - a 0.5 s soak of a growing cache cannot run the growth test: INCONCLUSIVE, exit 4 (not
#     OK), and the line says how many snapshots it had and needs;
#   - a 5 s soak of the same cache is LEAK naming growth (the kind found, not the list asked
#     for); with --fail-on 'growth>64g/h' (far above its ~3.5 GiB/h) it is OK, with
#     'growth>1m/h' LEAK;
#   - a socket-per-request leak (~50/s) with --fail-on 'fd>5000' is OK, 'fd>10' LEAK: fd;
#   - --json: stdout is the JSON document alone (| jq), the verdict goes to stderr.
# All soaks run at the same time (the programs mostly sleep): about 7 s.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

soak=$(cd "$(dirname "$0")/../.." && pwd)/scripts/leak-soak
export LIBLEAK_SO=$LEAK_SO LEAK_REPORT
cache=$(prog gcc grow_cache)
socks=$(prog clang grow_sockets)
need "$LEAK_SO" "$LEAK_REPORT" "$soak" "$cache" "$socks"

note "seven soaks at once"
soak_bg short --duration 500ms -- "$cache" unbounded 0
soak_bg long --duration 5s -- "$cache" unbounded 0
soak_bg high --duration 5s --fail-on 'growth>64g/h' -- "$cache" unbounded 0
soak_bg low --duration 5s --fail-on 'growth>1m/h' -- "$cache" unbounded 0
soak_bg fdhigh --duration 5s --fail-on 'fd>5000' -- "$socks" leak 0
soak_bg fdlow --duration 5s --fail-on 'fd>10' -- "$socks" leak 0
soak_bg json --duration 5s --json -- "$cache" unbounded 0
wait

assert_eq "$(cat "$TMP/short.rc")" 4 "0.5 s soak: exit status"
assert_match "$(head -n 1 "$TMP/short.out")" '^leak-soak: INCONCLUSIVE: .* [0-9]+ snapshots in the window, needs 8' "0.5 s soak: verdict"

assert_eq "$(cat "$TMP/long.rc")" 3 "5 s soak: exit status"
assert_match "$(head -n 1 "$TMP/long.out")" '^leak-soak: LEAK: growth after ' "5 s soak: verdict names growth only"

assert_eq "$(cat "$TMP/high.rc")" 0 "growth>64g/h: exit status"
assert_match "$(head -n 1 "$TMP/high.out")" '^leak-soak: OK: ' "growth>64g/h: verdict"
assert_eq "$(cat "$TMP/low.rc")" 3 "growth>1m/h: exit status"
assert_match "$(head -n 1 "$TMP/low.out")" '^leak-soak: LEAK: growth ' "growth>1m/h: verdict"

assert_eq "$(cat "$TMP/fdhigh.rc")" 0 "fd>5000: exit status"
assert_eq "$(cat "$TMP/fdlow.rc")" 3 "fd>10: exit status"
assert_match "$(head -n 1 "$TMP/fdlow.out")" '^leak-soak: LEAK: fd ' "fd>10: verdict"

assert_eq "$(cat "$TMP/json.rc")" 3 "--json soak: exit status"
jq -e '.processes[0].growth_test.status == "ran"' "$TMP/json.out" >/dev/null ||
	fail "--json soak: stdout is not the JSON document alone: $(head -c 300 "$TMP/json.out")"
assert_match "$(cat "$TMP/json.err")" 'leak-soak: LEAK: growth ' "--json soak: verdict on stderr"
"$soak" --help | grep -q "fd>10" || fail "leak-soak --help lacks the fd>10 example"
echo ok
