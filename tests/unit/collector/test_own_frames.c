/* SPDX-License-Identifier: MIT */
/* test_own_frames.c - the symbolizer drops libleak's own frames by address range: frames in
 * the module whose MODULE record carries TRACE_MODULE_SELF go, whatever the file is called;
 * a module called libleak.so without the flag stays. A trace from a writer before the flags
 * field falls back to the file name libleak.so. Function names never matter (the e2e test
 * test_sym_lk_names.sh shows a program's lk_parse() reported). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "model.h"
#include "symbolizer.h"
#include "trace_builder.h"
#include "trace_reader.h"

#define APP  0x555555554000ull
#define SELF 0x7f0000000000ull
#define NAME 0x7f1000000000ull

static const uint64_t frames[] = {SELF + 0x10, NAME + 0x20, APP + 0x1234, SELF + 0x30};

/* Module 1 the program, 2 at SELF (/opt/x/libprofiler.so), 3 at NAME (/usr/lib/libleak.so);
 * flags: whether the MODULE records carry the flags field (module 2 flagged as libleak's). */
static struct model *load(bool flags)
{
	struct tb t;
	tb_init(&t);
	tb_process(&t, 1, 0, 0, 0, "/app", 0, NULL);
	if (flags) {
		tb_module_flags(&t, 1, APP, APP, APP + 0x10000, "/app", 0);
		tb_module_flags(&t, 2, SELF, SELF, SELF + 0x10000, "/opt/x/libprofiler.so",
		                TRACE_MODULE_SELF);
		tb_module_flags(&t, 3, NAME, NAME, NAME + 0x10000, "/usr/lib/libleak.so", 0);
	} else {
		tb_module(&t, 1, APP, APP, APP + 0x10000, "/app", NULL, 0);
		tb_module(&t, 2, SELF, SELF, SELF + 0x10000, "/opt/x/libprofiler.so", NULL, 0);
		tb_module(&t, 3, NAME, NAME, NAME + 0x10000, "/usr/lib/libleak.so", NULL, 0);
	}
	tb_stack(&t, 1, 4, frames);
	tb_flush(&t);
	struct model *m = model_create();
	struct err e;
	assert_int_equal(trace_reader_load_mem(m, "own", t.file.data, t.file.len, &e), 0);
	tb_free(&t);
	const struct model_proc *p = m->procs[0];
	assert_int_equal(p->n_modules, 3);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(p->modules[i].has_flags, flags);
	assert_int_equal(p->modules[1].flags, flags ? TRACE_MODULE_SELF : 0);
	return m;
}

/* The addresses symbolizer_stack keeps. */
static size_t kept(struct model *m, uint64_t *out)
{
	struct symbolizer *s = symbolizer_create(false, NULL);
	struct sym_stack st = {0};
	struct err e;
	const struct model_proc *p = m->procs[0];
	assert_int_equal(symbolizer_stack(s, p, model_proc_stack(p, 1), &st, &e), 0);
	size_t n = st.n;
	for (size_t i = 0; i < n; i++)
		out[i] = st.frames[i].addr;
	sym_stack_fini(&st);
	symbolizer_destroy(s);
	return n;
}

static void test_by_flag(void **state)
{
	(void)state;
	struct model *m = load(true);
	uint64_t a[4];
	assert_int_equal(kept(m, a), 2);
	assert_true(a[0] == NAME + 0x20); /* called libleak.so, but not libleak's mapping */
	assert_true(a[1] == APP + 0x1234);
	model_destroy(m);
}

static void test_old_trace_by_name(void **state)
{
	(void)state;
	struct model *m = load(false);
	uint64_t a[4];
	assert_int_equal(kept(m, a), 3);
	assert_true(a[0] == SELF + 0x10);
	assert_true(a[1] == APP + 0x1234);
	assert_true(a[2] == SELF + 0x30);
	model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_by_flag),
	    cmocka_unit_test(test_old_trace_by_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
