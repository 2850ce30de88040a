#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A library that dlopens a sibling by bare name finds it through its own RUNPATH ($ORIGIN):
# glibc resolves the name against the *calling* object, so libleak must not interpose dlopen
# (a hook would make libleak.so the caller and the load would fail). The sibling's leak, made
# after both libraries are dlclose'd, must still symbolize.
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

d=$TMP/libs
mkdir -p "$d"
cat >"$d/inner.c" <<'C'
#include <stdlib.h>
void *volatile inner_sink; /* an unused malloc may be optimised away */
__attribute__((noinline)) void inner_leak(void)
{
	for (int i = 0; i < 7; i++)
		inner_sink = malloc(333);
}
C
cat >"$d/outer.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int outer_load(void)
{
	void *h = dlopen("libinner_origin.so", RTLD_NOW);
	if (!h) {
		fprintf(stderr, "outer: %s\n", dlerror());
		return 1;
	}
	((void (*)(void))dlsym(h, "inner_leak"))();
	return dlclose(h);
}
C
cat >"$d/main.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv)
{
	void *h = dlopen(argc > 1 ? argv[1] : "", RTLD_NOW);
	if (!h) {
		fprintf(stderr, "main: %s\n", dlerror());
		return 2;
	}
	int rc = ((int (*)(void))dlsym(h, "outer_load"))();
	dlclose(h);
	puts(rc == 0 ? "ok" : "failed");
	return rc;
}
C
for cc in "${COMPILERS[@]}"; do
	note "$cc"
	$cc -O2 -g -fPIC -shared -o "$d/libinner_origin.so" "$d/inner.c"
	# shellcheck disable=SC2016 # $ORIGIN is for the dynamic linker, not the shell
	$cc -O2 -g -fPIC -shared -Wl,--enable-new-dtags,-rpath,'$ORIGIN' -o "$d/libouter_origin.so" \
		"$d/outer.c" -ldl
	$cc -O2 -g -o "$d/main" "$d/main.c" -ldl

	run_native "$d/main" "$d/libouter_origin.so"
	assert_eq "$RUN_STATUS" 0 "$cc native exit status"
	assert_eq "$(cat "$RUN_STDOUT")" ok "$cc native stdout"

	trace=
	run_traced trace "$d/main" "$d/libouter_origin.so"
	assert_eq "$RUN_STATUS" 0 "$cc traced exit status (stderr: $(head -c 300 "$RUN_STDERR"))"
	assert_eq "$(cat "$RUN_STDOUT")" ok "$cc traced stdout"
	json=$(report_json "$trace")
	assert_jq "$json" 'count_in("inner_leak")' 7 "$cc leaked blocks in the dlclose'd sibling"
	assert_jq "$json" 'bytes_in("inner_leak")' 2331 "$cc leaked bytes in the dlclose'd sibling"
done
