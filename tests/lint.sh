#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lint.sh - shellcheck every shell script in the tree, cppcheck the C sources for real bugs
# (warnings, not style), and format the man pages with every groff warning on (any warning
# fails). Part of `make check`.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t scripts < <(git ls-files 'scripts/*' 'tests/*.sh' 'tests/**/*.sh' 'bench/*.sh' '.ci/run' |
	xargs -r file | grep -E 'shell script|bash' | cut -d: -f1 | sort -u)
if [ ${#scripts[@]} -gt 0 ]; then
	shellcheck -x "${scripts[@]}"
fi
echo "shellcheck: ${#scripts[@]} scripts clean"
if command -v cppcheck >/dev/null; then
	cppcheck -q --error-exitcode=1 --enable=warning --inline-suppr -D__GNUC__ -Icommon \
		--suppress=missingIncludeSystem common preload collector viewer 2>&1
	echo "cppcheck: clean"
fi
if command -v groff >/dev/null; then
	mapfile -t pages < <(git ls-files 'docs/man/*.[1-8]')
	for m in "${pages[@]}"; do
		warnings=$(groff -man -Tutf8 -ww -z "$m" 2>&1)
		[ -z "$warnings" ] || {
			echo "$m: $warnings"
			exit 1
		}
	done
	echo "man pages: ${#pages[@]} clean"
fi
