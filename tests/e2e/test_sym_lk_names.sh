#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_sym_lk_names.sh - a program's own functions named lk_* (sym_lk_names.c) are reported:
# libleak drops only the frames inside its own mapping (flagged in its MODULE record), never
# frames by name. The leak at lk_parse has count 5, 3885 bytes, and the stack
# lk_parse <- lk_run <- main, for gcc and clang builds; no frame lies in libleak.so.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" sym_lk_names)
	need "$p"
	note "$cc: sym_lk_names"
	run_traced trace "$p"
	assert_eq "$RUN_STATUS" 0 "$cc sym_lk_names exit status"
	json=$(report_json "$trace")
	assert_jq "$json" 'leaks_in("lk_parse") | length' 1 "$cc: findings at lk_parse"
	assert_jq "$json" 'count_in("lk_parse")' 5 "$cc: count at lk_parse"
	assert_jq "$json" 'bytes_in("lk_parse")' 3885 "$cc: bytes at lk_parse"
	stack='leaks_in("lk_parse")[0].stack'
	assert_jq "$json" "${stack}[0].function" lk_parse "$cc: frame 0"
	assert_jq "$json" "${stack}[1].function" lk_run "$cc: frame 1"
	assert_jq "$json" "${stack}[2].function" main "$cc: frame 2"
	assert_jq "$json" '[.. | objects | select(has("module")) | .module // "" |
		select(endswith("/libleak.so"))] | length' 0 "$cc: frames in libleak.so"
done
echo "ok"
