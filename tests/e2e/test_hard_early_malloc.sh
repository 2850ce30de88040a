#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_hard_early_malloc.sh - malloc before the preload's constructor has run:
# lib_hard_early.so allocates (malloc, realloc, calloc, strdup, posix_memalign, fopen) in its
# constructor; linked into hard_early_malloc, the loader runs that constructor before
# libleak.so's. The program then reallocates and frees those blocks. Also with the library
# preloaded after libleak.so (LD_PRELOAD="libleak.so lib_hard_early.so"), same order.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/real/lib.sh
. "$(dirname "$0")/../real/lib.sh"
need "$LEAK_SO" "$LEAK_REPORT"

progs_src=$(cd "$(dirname "$0")" && pwd)/progs
for cc in "${COMPILERS[@]}"; do
	# Built here, not by the Makefile's prog rule: the program needs the library as
	# DT_NEEDED (same flags as the Makefile's progs: -O2 -g, no frame pointers).
	libdir=$TMP/lib.$cc
	mkdir -p "$libdir"
	lib=$libdir/lib_hard_early.so
	"$cc" -O2 -g -pthread -fPIC -shared -o "$lib" "$progs_src/lib_hard_early.c"
	exe=$TMP/hard_early_malloc.$cc
	"$cc" -O2 -g -pthread -o "$exe" "$progs_src/hard_early_malloc.c" -ldl -Wl,--no-as-needed \
		-L"$libdir" -l:lib_hard_early.so -Wl,-rpath,"$libdir"
	LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 lkr_pair "early_malloc.$cc" "$exe"
	p=$(prog "$cc" hard_early_malloc) # the Makefile's build, without the library linked in
	need "$p"
	# shellcheck disable=SC2016 # expanded by the inner bash
	LKR_WRAP=0 LKR_EXPECT_STATUS=0 LKR_CMP_STDERR=1 LKR_TRACES_EXACT=1 \
		lkr_pair "early_preload.$cc" env LKR_LIB="$lib" bash -c \
		'if [ "$LKR_MODE" = leak ]; then pre="$LEAK_SO $LKR_LIB"; else pre=$LKR_LIB; fi
		LD_PRELOAD=$pre LEAK_OUT=$LKR_TRACES/leak.%e.%p.lkt exec "$0"' "$p"
done
