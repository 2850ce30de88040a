#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_cxx_names.sh - C++ stacks read well. cxx_containers (g++ and clang++) leaks through
# std::map, std::string, std::shared_ptr, std::vector and new[] (the map directly, what it
# holds indirectly, listed with --show indirect): every frame line of the
# text report stays under 160 characters and each heap finding's first frame line is the
# user's handle_request (the allocator and library frames folded into "via ..."), the
# --diff lines and --frames N start there too, new[] is named operator new[], JSON keeps the
# full template names next to "short" ones, and leak-view's labels (growing-stack legends,
# the findings table's top frame) are short and start at handle_request, with the full
# name on hover (checked in headless Chromium when it is installed).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

LEAK_VIEW=$BUILD_ABS/leak-view
need "$LEAK_REPORT" "$LEAK_SO" "$LEAK_VIEW"
trace= # set by run_traced

for cc in "${COMPILERS[@]}"; do
	note "$cc: cxx_containers"
	LEAK_INTERVAL_MS=20 run_traced trace "$(prog "$cc" cxx_containers)" 300
	assert_eq "$RUN_STATUS" 0 "$cc: exit status"
	text=$("$LEAK_REPORT" --top 0 --show indirect "$trace")
	longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' <<<"$text")
	[ "$longest" -lt 160 ] || fail "$cc: a line of $longest characters: $(awk 'length($0) >= 160' <<<"$text" | head -2)"
	# The first frame line under each leak or indirect finding is the user's function, the
	# folded library frames on the next line.
	firsts=$(awk '/^  #[0-9]+ +(leak|indirect) /{getline; print}' <<<"$text")
	vias=$(awk '/^  #[0-9]+ +(leak|indirect) /{getline; getline; print}' <<<"$text")
	n_leaks=$(grep -cE '^  #[0-9]* *(leak|indirect) ' <<<"$text")
	[ "$n_leaks" -ge 5 ] || fail "$cc: expected at least 5 leak findings, got $n_leaks:
$text"
	n_user=$(grep -c 'handle_request(int) cxx_containers.cc:[0-9]*' <<<"$firsts" || true)
	[ "$n_user" -ge 5 ] || fail "$cc: first frames are not handle_request:
$firsts"
	for via in 'std::map<\.\.\.>::operator\[\]' 'std::make_shared<\.\.\.>\(\)' 'operator new\[\]\(unsigned long\)'; do
		grep -qE "^          via $via.* \([0-9]+ library frames? folded\)$" <<<"$vias" || fail "$cc: no finding folded 'via $via':
$vias"
	done
	grep -q '__new_allocator\|allocator_traits' <<<"$text" && fail "$cc: allocator frames not folded"
	# --full-names shows everything.
	full=$("$LEAK_REPORT" --full-names "$trace")
	grep -q 'std::__cxx11::basic_string<char, std::char_traits<char>' <<<"$full" ||
		fail "$cc: --full-names lacks the full template names"
	# --frames 1: exactly one frame line per finding, the user's.
	one=$("$LEAK_REPORT" --frames 1 --show indirect "$trace")
	n_heap=$(grep -cE '^  #[0-9]+ +(leak|indirect|growth) ' <<<"$one")
	n_frames=$(grep -cE '^      #[0-9]+ ' <<<"$one" || true)
	n_user=$(grep -cE '^ +#[0-9]+ +handle_request' <<<"$one" || true)
	n_all=$(grep -cE '^  #[0-9]+ ' <<<"$one")
	assert_eq "$n_frames" "$n_all" "$cc: --frames 1: one frame line per finding"
	[ "$n_user" -ge "$((n_heap - 2))" ] || fail "$cc: --frames 1 shows $n_user handle_request lines for $n_heap heap findings:
$one"
	grep -q 'more frames (--frames 0 shows all)' <<<"$one" || fail "$cc: --frames 1 does not say what it cut"
	# --diff lines name the user's function first.
	diff_lines=$("$LEAK_REPORT" --diff 0 -1 "$trace" | sed -n '/diff: snapshot/,$p' | grep -E '^      ')
	grep -q '^      handle_request(int) cxx_containers.cc:[0-9]* < main' <<<"$diff_lines" ||
		fail "$cc: --diff lines do not start at handle_request: $diff_lines"
	grep -q ' via std::map<\.\.\.>::operator\[\](\.\.\.)$' <<<"$diff_lines" ||
		fail "$cc: --diff lines do not name the folded std::map call: $diff_lines"
	long_diff=$(awk 'length($0) >= 160' <<<"$diff_lines")
	[ -z "$long_diff" ] || fail "$cc: --diff lines of 160 characters or more: $long_diff"
	# JSON: full names, short names and the library flag.
	json=$(report_json "$trace")
	assert_jq "$json" '[.processes[0].findings[] | select(.kind == "leak" or .kind == "indirect") | .stack[] | select(.function | tostring | test("^std::map<std::__cxx11::basic_string"))] | length > 0' true \
		"$cc: JSON keeps the full std::map name"
	assert_jq "$json" '[.processes[0].findings[] | .stack[] | select(.short == "std::map<...>::operator[](std::basic_string<...> const&)")] | length > 0' true \
		"$cc: JSON short name of std::map::operator[]"
	assert_jq "$json" '[.processes[0].findings[] | select(.kind == "leak" or .kind == "indirect") | .stack | map(select(.library | not))[0].function] | map(select(. == "handle_request(int)")) | length >= 5' true \
		"$cc: JSON first non-library frame"
	assert_jq "$json" '[.processes[0].findings[] | select(.kind == "leak" and .count == 150) | .stack[0].function][0]' 'operator new[](unsigned long)' \
		"$cc: new[] frame name"

	note "$cc: leak-view labels"
	page=$TMP/$cc.html
	"$LEAK_VIEW" "$trace" -o "$page" 2>"$TMP/view.err" || fail "leak-view: $(cat "$TMP/view.err")"
	python3 - "$page" >"$TMP/series.json" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
print(re.search(r'<script type="application/json" id="series-data">(.*?)</script>', html, re.S).group(1))
PY
	labels=$(jq -r '.processes[0].growing[].label' "$TMP/series.json")
	[ -n "$labels" ] || fail "$cc: no growing stacks in the page"
	while IFS= read -r l; do
		[ "${#l}" -lt 160 ] || fail "$cc: legend label of ${#l} characters: $l"
		case $l in std::* | operator* | __*) fail "$cc: legend label starts in the library: $l" ;; esac
	done <<<"$labels"
	[ "$(grep -c '^handle_request(int) ← main:' <<<"$labels")" -ge 4 ] ||
		fail "$cc: legend labels do not start at handle_request: $labels"
done

chrome=$(command -v chromium || command -v chromium-browser || true)
driver=$(command -v chromedriver || true)
if [ -z "$chrome" ] || [ -z "$driver" ]; then
	echo "SKIP: browser checks: chromium or chromedriver not installed (Debian packages chromium, chromium-driver)"
	exit 0
fi
note "leak-view in headless Chromium: table labels and hover"
got=$(timeout 120 python3 "$(dirname "$0")/view_eval.py" "$page" "$chrome" "$driver" "$TMP" '
	const cells = Array.from(document.querySelectorAll("tr.finding[data-kind=leak] td.mono:nth-child(6), tr.finding[data-kind=indirect] td.mono:nth-child(6)"));
	const flames = Array.from(document.querySelectorAll(".flame-live text")).map(t => t.textContent);
	return {tops: cells.map(c => c.textContent), titles: cells.map(c => c.title),
	        legend: Array.from(document.querySelectorAll(".timeline[data-chart=growing] .legend")).map(l => l.textContent.length),
	        longest_flame: Math.max(0, ...flames.map(f => f.length))};') || fail "browser check failed"
echo "--- $(head -c 300 <<<"$got")"
assert_jq "$got" '.tops | length >= 5' true "leak and indirect rows in the table"
assert_jq "$got" '[.tops[] | select(startswith("handle_request(int) ← main:"))] | length >= 5' true \
	"table top frames start at handle_request"
assert_jq "$got" '[.tops[] | select(length >= 160 or startswith("std::") or startswith("operator"))] | length' 0 \
	"table top frames short, none in the library"
assert_jq "$got" '[.titles[] | select(. == "handle_request(int)")] | length >= 5' true \
	"table top frames carry the full name on hover"
