#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bash_workload.sh - workload for the real-program matrix (tests/real/bash.sh). Every line of
# output is deterministic.
set -euo pipefail

seq 1 2000 | grep 7 | sort -rn | head -n 3
echo "pipeline words: $(printf '%s\n' alpha beta gamma | tr '[:lower:]' '[:upper:]' | paste -sd, -)"
total=$( (for i in $(seq 1 100); do echo "$i"; done) | awk '{ s += $1 } END { print s }')
echo "subshell sum: $total"
declare -A seen=()
for w in one two three two one four; do
	seen[$w]=$((${seen[$w]:-0} + 1))
done
for w in $(printf '%s\n' "${!seen[@]}" | sort); do
	echo "count $w ${seen[$w]}"
done
(
	cd /
	echo "subshell pwd: $PWD"
)
while read -r a b; do
	echo "read $b $a"
done <<'DOC'
1 first
2 second
DOC
diff <(seq 1 5) <(seq 1 5) && echo "process substitution: same"
for i in 1 2 3 4; do
	(sleep 0.0$i && exit "$i") &
done
codes=()
for job in $(jobs -p); do
	rc=0
	wait "$job" || rc=$?
	codes+=("$rc")
done
echo "background jobs exited: ${codes[*]}"
s=""
for i in $(seq 1 3000); do
	s+="$((i % 10))"
done
echo "string length ${#s}"
x=$(bash -c 'echo nested bash $((6 * 7))')
echo "$x"
