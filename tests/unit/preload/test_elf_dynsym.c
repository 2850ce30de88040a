/* SPDX-License-Identifier: MIT */
/* test_elf_dynsym.c - preload/elf_dynsym.c: a name looked up in the loaded modules' own
 * dynamic symbols, as memory. lk_elf_dynsym_maybe is what lets the constructor skip a dlsym
 * that would fail (Python's and node's markers in a program that is neither): it must say yes
 * for a name some module defines, no for one none does, and agree with dlsym. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <link.h>

#include "elf_dynsym.h"

static void test_maybe_defined(void **state)
{
	(void)state;
	/* libc's and the loader's exports */
	assert_true(lk_elf_dynsym_maybe("malloc"));
	assert_true(lk_elf_dynsym_maybe("getpid"));
	assert_true(lk_elf_dynsym_maybe("_dl_find_object"));
	/* what dlsym would not find: the constructor skips the lookup */
	assert_false(lk_elf_dynsym_maybe("_PyRuntime"));
	assert_false(lk_elf_dynsym_maybe("napi_module_register"));
	assert_false(lk_elf_dynsym_maybe("lk_no_such_symbol_anywhere"));
	assert_null(dlsym(RTLD_DEFAULT, "_PyRuntime"));
	assert_null(dlsym(RTLD_DEFAULT, "napi_module_register"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_maybe_defined),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
