#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fd_probe_lazy.sh - libleak reads /proc/self/fd (the descriptors a process started
# with, recorded as inherited) at its first need, not at start: a program a traced shell runs
# that touches no descriptor (true) never reads it, one that opens a file (cat) reads it once,
# at that open. Seen with strace: which of the shell's children open /proc/self/fd. The
# descriptors a traced program started with still reach its trace when it opens nothing: its
# final snapshot probes them.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"
STRACE=$(type -P strace) || fail "missing strace (scripts/install-deps check)"
truebin=$(type -P true)
catbin=$(type -P cat)

out=$TMP/out
mkdir -p "$out"
log=$TMP/strace.log
rc=0
timeout -k 5 "$T_LIMIT" "$STRACE" -f -qq -e trace=execve,openat -o "$log" \
	env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out/leak.%e.%p.lkt" \
	sh -c "$truebin; $truebin; $catbin /etc/hostname >/dev/null; $truebin; :" \
	>"$TMP/stdout" 2>"$TMP/stderr" </dev/null || rc=$?
assert_eq "$rc" 0 "exit status"
[ ! -s "$TMP/stderr" ] || fail "stderr: $(head -3 "$TMP/stderr")"

# pid -> program it exec'd (by absolute path: these execs do not fail; strace may split
# the line, "<unfinished ...>"), and the pids that read /proc/self/fd.
progs=$(awk -v t="$truebin" -v c="$catbin" '
	/ execve\("/ {
		p = $0; sub(/^[0-9]+ +execve\("/, "", p); sub(/".*/, "", p)
		if (p == t) kind[$1] = "true"; else if (p == c) kind[$1] = "cat"
	}
	/openat\(.*"\/proc\/self\/fd"/ { probed[$1]++ }
	END { for (pid in kind) print kind[pid], (probed[pid] ? probed[pid] : 0) }' "$log" | sort)
note "children (program, reads of /proc/self/fd): $(tr '\n' ' ' <<<"$progs")"
assert_eq "$(grep -c '^true ' <<<"$progs")" 3 "true children seen"
assert_eq "$(grep -c '^cat ' <<<"$progs")" 1 "cat children seen"
assert_eq "$(awk '$1 == "true" && $2 != 0' <<<"$progs" | wc -l)" 0 "a true that read /proc/self/fd"
assert_eq "$(awk '$1 == "cat" { print $2 }' <<<"$progs")" 1 "cat's reads of /proc/self/fd"
# true, with nothing of its own to report, writes no trace.
for f in "$out"/*.lkt; do
	case $f in */leak.true.*) fail "true wrote a trace: $f" ;; esac
done

# A traced program that opens nothing but holds an inherited descriptor (7) and leaks: its
# trace is written, the probe runs once, at its final snapshot, and looks at descriptor 7,
# which is no finding (inherited).
p=$(prog gcc leak_indirect)
need "$p"
out2=$TMP/inh
mkdir -p "$out2"
log2=$TMP/strace2.log
rc=0
timeout -k 5 "$T_LIMIT" "$STRACE" -qq -e trace=openat,readlinkat -o "$log2" \
	env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$out2/leak.%e.%p.lkt" "$p" \
	>"$TMP/stdout2" 2>"$TMP/stderr2" </dev/null 7</etc/hostname || rc=$?
assert_eq "$rc" 0 "leak_indirect exit status"
assert_eq "$(grep -c 'openat(.*"/proc/self/fd"' "$log2")" 1 "leak_indirect's reads of /proc/self/fd"
assert_eq "$(grep -c 'readlinkat([0-9]*, "7", "/etc/hostname"' "$log2")" 1 "descriptor 7 probed"
j=$(report_json "$out2")
assert_jq "$j" '[.processes[].findings[] | select(.kind == "fd")] | length' 0 \
	"an inherited descriptor reported as a finding"
assert_jq "$j" '[.processes[].findings[] | select(.kind == "leak")] | length > 0' true \
	"leak_indirect's leaks"
