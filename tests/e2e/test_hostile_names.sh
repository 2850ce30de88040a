#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hostile_names.sh - outputs that are safe, and groups that show their members.
# fd_hostile_names leaks 12 files from one call site, named with terminal escapes and invalid
# UTF-8, and 5 sockets to one peer. The text report carries no raw control byte (ESC shows as
# \x1b, BEL as \x07) and lists the group's paths (8, "and 4 more") and the sockets' 5 local
# addresses; the JSON is valid UTF-8 (each invalid byte becomes U+FFFD) and has "paths" (the
# first 8) with "more_paths": 4, and "peers" with the one peer.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_REPORT" "$LEAK_SO"
trace= # set by run_traced
for cc in "${COMPILERS[@]}"; do
	note "$cc: fd_hostile_names"
	mkdir -p "$TMP/$cc"
	run_traced trace "$(prog "$cc" fd_hostile_names)" "$TMP/$cc"
	assert_eq "$RUN_STATUS" 0 "$cc: exit status"
	"$LEAK_REPORT" "$trace" >"$TMP/$cc.txt"
	if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$TMP/$cc.txt"; then
		fail "$cc: raw control bytes in the text report: $(LC_ALL=C grep -n $'[\x01-\x08\x0b-\x1f\x7f]' "$TMP/$cc.txt" | cat -v | head -3)"
	fi
	grep -qF 'esc\x1b[31mred\x1b]0;pwned\x07-' "$TMP/$cc.txt" || fail "$cc: escaped name missing: $(head -c 1500 "$TMP/$cc.txt")"
	grep -qE '^ +paths in [^ ]+/: .*, .* and 4 more$' "$TMP/$cc.txt" || fail "$cc: the file group does not list its paths: $(cat -v "$TMP/$cc.txt" | head -20)"
	grep -qE '^ +local: (tcp 127\.0\.0\.1:[0-9]+, ){4}tcp 127\.0\.0\.1:[0-9]+$' "$TMP/$cc.txt" ||
		fail "$cc: the socket group does not list its 5 local addresses: $(grep -A1 socket "$TMP/$cc.txt")"

	"$LEAK_REPORT" --json "$trace" >"$TMP/$cc.json"
	python3 - "$TMP/$cc.json" <<'PY' || fail "$cc: JSON is not valid UTF-8 JSON"
import json, sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")  # strict: raises on invalid UTF-8
json.loads(raw)
PY
	json=$(cat "$TMP/$cc.json")
	files='.processes[0].findings[] | select(.kind == "fd" and .fd_type == "file")'
	assert_jq "$json" "[$files | .count] | add" 12 "$cc: leaked files"
	assert_jq "$json" "[$files | .paths | length] | add" 8 "$cc: paths listed"
	assert_jq "$json" "[$files | .more_paths] | add" 4 "$cc: more_paths"
	assert_jq "$json" "[$files | .paths[] | select(contains(\"utf-\\ufffd\\ufffd(-\"))] | length > 0" true \
		"$cc: invalid UTF-8 as U+FFFD"
	assert_jq "$json" "[$files | .paths[] | select(contains(\"\\u001b[31mred\"))] | length > 0" true \
		"$cc: ESC kept (escaped) in JSON"
	socks='.processes[0].findings[] | select(.kind == "fd" and (.fd_type | startswith("socket")) and .count == 5)'
	assert_jq "$json" "[$socks | .paths | length][0]" 5 "$cc: socket local addresses"
	assert_jq "$json" "[$socks | .peers | length][0]" 1 "$cc: socket peers"
done
