#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_version.sh - one version string: leak-report, leak-view, leak-run and leak-soak print
# "<tool> <LEAK_VERSION_STRING of common/version.h>" for --version, in the tree and after
# `make install` (which writes the version into the scripts), and `make uninstall` removes
# every file `make install` put in place.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
want=$(sed -n 's/^#define LEAK_VERSION_STRING "\(.*\)"$/\1/p' "$top/common/version.h")
[ -n "$want" ] || fail "no LEAK_VERSION_STRING in common/version.h"
need "$LEAK_REPORT"
need "$BUILD_ABS/leak-view"

assert_eq "$("$LEAK_REPORT" --version)" "leak-report $want" "leak-report --version"
assert_eq "$("$BUILD_ABS/leak-view" --version)" "leak-view $want" "leak-view --version"
for s in leak-run leak-soak; do
	assert_eq "$("$top/scripts/$s" --version)" "$s $want" "scripts/$s --version"
done

# Installed: the scripts carry the version themselves (no common/version.h next to them).
stage=$TMP/stage
make -C "$top" --no-print-directory B="$BUILD_ABS" DESTDIR="$stage" PREFIX=/opt/libleak \
	install >"$TMP/install.log" 2>&1 || fail "make install: $(tail -n 5 "$TMP/install.log")"
bin=$stage/opt/libleak/bin
for t in leak-report leak-view leak-run leak-soak; do
	assert_eq "$("$bin/$t" --version)" "$t $want" "installed $t --version"
done
for m in man1/leak-report.1 man1/leak-view.1 man1/leak-run.1 man1/leak-soak.1 man7/libleak.7; do
	[ -f "$stage/opt/libleak/share/man/$m" ] || fail "make install did not install $m"
done
make -C "$top" --no-print-directory B="$BUILD_ABS" DESTDIR="$stage" PREFIX=/opt/libleak \
	uninstall >"$TMP/uninstall.log" 2>&1 || fail "make uninstall: $(tail -n 5 "$TMP/uninstall.log")"
left=$(find "$stage" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
note "version $want everywhere; install and uninstall round trip clean"
