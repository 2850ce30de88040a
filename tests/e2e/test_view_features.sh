#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_view_features.sh - leak-view's page in headless Chromium, for what issue 23 added: the
# timelines start at the process's start (t = 0, not the first snapshot), each heap stack is
# listed once in the findings table (its growth, leak, indirect and reachable findings share a
# row, their bytes summed), the diff
# between two chosen moments lists what grew with short labels, the flame graph turns
# bottom-up (the allocating frames on top), and the process filter hides the other processes'
# sections. Two traces: cxx_containers (C++, growing) and fd_hostile_names.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

LEAK_VIEW=$BUILD_ABS/leak-view
need "$LEAK_REPORT" "$LEAK_SO" "$LEAK_VIEW"
cxx= # set by run_traced
fds=
LEAK_INTERVAL_MS=20 run_traced cxx "$(prog gcc cxx_containers)" 300
mkdir -p "$TMP/scratch"
run_traced fds "$(prog gcc fd_hostile_names)" "$TMP/scratch"
page=$TMP/page.html
"$LEAK_VIEW" "$cxx" "$fds" -o "$page" 2>"$TMP/view.err" || fail "leak-view: $(cat "$TMP/view.err")"
json=$(report_json "$cxx" "$fds")
cxx_idx=$(jq_get "$json" '[.processes[].exe | endswith("cxx_containers")] | index(true)')
# Distinct heap stacks plus other findings of the C++ process: its table rows.
want_rows=$(jq_get "$json" ".processes[$cxx_idx] | [.findings[] | if (.kind == \"leak\" or .kind == \"indirect\" or .kind == \"reachable\" or .kind == \"growth\") and .stack_id then \"s\\(.stack_id)\" else null end] | (map(select(. != null)) | unique | length) + (map(select(. == null)) | length)")
n_findings=$(jq_get "$json" ".processes[$cxx_idx].findings | length")
[ "$want_rows" -lt "$n_findings" ] || fail "cxx_containers has no stack with both a growth and a leak finding"

chrome=$(command -v chromium || command -v chromium-browser || true)
driver=$(command -v chromedriver || true)
if [ -z "$chrome" ] || [ -z "$driver" ]; then
	echo "SKIP: browser checks: chromium or chromedriver not installed (Debian packages chromium, chromium-driver)"
	exit 0
fi
got=$(timeout 120 python3 "$(dirname "$0")/view_eval.py" "$page" "$chrome" "$driver" "$TMP" "
	const sec = document.getElementById('proc-$cxx_idx');
	const out = {};
	out.rows = sec.querySelectorAll('tr.finding').length;
	out.merged = Array.from(sec.querySelectorAll('tr.finding td:nth-child(2)')).map(td => td.textContent).filter(k => k.indexOf(' + ') > 0).length;
	out.x0 = Array.from(sec.querySelectorAll('.timeline[data-chart=heap] .dygraph-axis-label-x')).map(d => d.textContent)[0] || null;
	/* Diff: A = first point, B = last. */
	const dr = Array.from(sec.querySelectorAll('.diff-card tr.diff-row'));
	out.diff = dr.map(r => [r.dataset.change, r.children[4].textContent, r.children[4].title]);
	/* Diff with A = B: nothing changed. */
	const sels = sec.querySelectorAll('.diff-card select');
	sels[1].value = sels[0].value;
	sels[1].dispatchEvent(new Event('change'));
	out.diff_same = sec.querySelectorAll('.diff-card tr.diff-row').length;
	/* Bottom-up flame graph: the row under 'all' holds the allocating frames. */
	const card = sec.querySelector('.flame-live');
	const depth1 = () => Array.from(card.querySelectorAll('rect.fr')).filter(r => r.getAttribute('y') === '18').map(r => r.querySelector('title').textContent);
	out.top_down = depth1();
	card.querySelector('button.invert').click();
	out.bottom_up = depth1();
	/* Process filter. */
	const f = document.querySelector('#tree input.proc-filter');
	f.value = 'fd_hostile';
	f.dispatchEvent(new Event('input'));
	out.hidden = Array.from(document.querySelectorAll('section.proc')).map(s => s.hidden);
	return out;") || fail "browser check failed"
echo "--- $(head -c 600 <<<"$got")"
assert_jq "$got" '.rows' "$want_rows" "table rows: one per heap stack"
assert_jq "$got" '.merged > 0' true "rows that join growth and leak"
assert_jq "$got" '.x0' '0 ms' "the heap timeline's first x label (t = 0)"
assert_jq "$got" '[.diff[] | select(.[0] == "grew" and (.[1] | startswith("handle_request(int) ← main:")))] | length >= 4' true \
	"diff rows: stacks that grew, labelled at handle_request"
assert_jq "$got" '[.diff[] | select(.[2] != "handle_request(int)" and (.[1] | startswith("handle_request")))] | length' 0 \
	"diff labels carry the full name on hover"
assert_jq "$got" '.diff_same' 0 "diff of a moment with itself"
assert_jq "$got" '[.top_down[] | select(startswith("_start") or startswith("main"))] | length > 0' true "top-down: outermost frames first"
assert_jq "$got" '[.bottom_up[] | select(startswith("operator new"))] | length > 0' true "bottom-up: operator new at the top"
assert_jq "$got" '[.bottom_up[] | select(startswith("_start"))] | length' 0 "bottom-up: no _start at the top"
assert_jq "$got" ".hidden[$cxx_idx]" true "process filter hides cxx_containers"
assert_jq "$got" '[.hidden[] | select(. == false)] | length' 1 "process filter keeps fd_hostile_names"
