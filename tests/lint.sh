#!/usr/bin/env bash
# lint.sh - shellcheck every shell script in the tree, and cppcheck the C sources for real bugs
# (warnings, not style). Part of `make check`.
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
