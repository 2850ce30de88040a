#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_heap_dlopen.sh - leaks made inside a dlopen'ed library that is dlclose'd before exit
# are still symbolized to the library's own function, file and module; a second library
# loaded after the first is gone (usually at the same address) is told apart from it.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

trace= # set by run_traced
need "$LEAK_SO" "$LEAK_REPORT"
for cc in "${COMPILERS[@]}"; do
	p=$(prog "$cc" heap_dlopen)
	plugin=$(prog "$cc" lib_heap_plugin.so)
	reload=$(prog "$cc" lib_heap_reload.so)
	need "$p"
	[ -f "$plugin" ] || fail "missing $plugin (make progs)"
	[ -f "$reload" ] || fail "missing $reload (make progs)"

	note "$cc: one plugin, unloaded before exit"
	run_native "$p" "$plugin"
	native_stdout=$RUN_STDOUT
	native_status=$RUN_STATUS
	run_traced trace "$p" "$plugin"
	assert_eq "$RUN_STATUS" "$native_status" "$cc: exit status vs native"
	assert_eq "$RUN_STATUS" 0 "$cc: exit status"
	assert_match "$(cat "$RUN_STDOUT")" "^$plugin leaked 13 unloaded yes base " "$cc: plugin really unloaded"
	assert_eq "$(sed 's/ base .*//' "$RUN_STDOUT")" "$(sed 's/ base .*//' "$native_stdout")" "$cc: stdout vs native"
	json=$(report_json "$trace")
	assert_jq "$json" 'leaks_in("plugin_alloc_entry") | length' 1 "$cc: findings at plugin_alloc_entry"
	assert_jq "$json" 'count_in("plugin_alloc_entry")' 13 "$cc: count at plugin_alloc_entry"
	assert_jq "$json" 'bytes_in("plugin_alloc_entry")' 10101 "$cc: bytes at plugin_alloc_entry"
	frame='leaks_in("plugin_alloc_entry")[0].stack | map(select(.function == "plugin_alloc_entry"))[0]'
	assert_jq "$json" "$frame.module" "$plugin" "$cc: module of plugin_alloc_entry's frame"
	assert_jq "$json" "$frame.file | split(\"/\") | last" lib_heap_plugin.c "$cc: file of plugin_alloc_entry's frame"
	assert_jq "$json" "$frame.line" "$(grep -n 'void \*p = malloc(n);' "$(dirname "$0")/progs/lib_heap_plugin.c" | cut -d: -f1)" \
		"$cc: line of the malloc call in plugin_alloc_entry"
	assert_jq "$json" 'leaks_in("plugin_alloc_entry")[0].stack | any(.function == "heap_plugin_run")' true \
		"$cc: heap_plugin_run is on the plugin's leak stack"

	note "$cc: two plugins, the second loaded after the first is gone"
	run_traced trace "$p" "$plugin" "$reload"
	assert_eq "$RUN_STATUS" 0 "$cc: exit status"
	mapfile -t lines <"$RUN_STDOUT"
	assert_match "${lines[0]}" "^$plugin leaked 13 unloaded yes base " "$cc: first plugin unloaded"
	assert_match "${lines[1]}" "^$reload leaked 17 unloaded yes base " "$cc: second plugin unloaded"
	if [ "${lines[0]##* }" == "${lines[1]##* }" ]; then
		note "both loaded at ${lines[0]##* }: address reused"
	fi
	json=$(report_json "$trace")
	assert_jq "$json" 'count_in("plugin_alloc_entry")' 13 "$cc: count at plugin_alloc_entry"
	assert_jq "$json" 'bytes_in("plugin_alloc_entry")' 10101 "$cc: bytes at plugin_alloc_entry"
	assert_jq "$json" 'count_in("reload_alloc_entry")' 17 "$cc: count at reload_alloc_entry"
	assert_jq "$json" 'bytes_in("reload_alloc_entry")' 9435 "$cc: bytes at reload_alloc_entry"
	frame='leaks_in("reload_alloc_entry")[0].stack | map(select(.function == "reload_alloc_entry"))[0]'
	assert_jq "$json" "$frame.module" "$reload" "$cc: module of reload_alloc_entry's frame"
done
echo "ok"
