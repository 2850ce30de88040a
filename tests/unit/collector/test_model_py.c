/* SPDX-License-Identifier: MIT */
/* test_model_py.c - the line of a Python frame from its code object's 3.11 location table:
 * a table CPython 3.11 made for a small function (short, one-line, long and no-column
 * entries, a line going back, a comprehension over two lines) against the line of every
 * code unit that co_lines() gives for it; the not-started frame; a damaged table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model.h"
#include "trace_format.h"

/* def f(x):               # 1
 *     y = x + 1           # 2
 *     if y > 3:           # 3
 *         return [i       # 4
 *                 for i in range(y)]  # 5
 *                         # 6
 *     return (y,          # 7
 *             2)          # 8        (f.__code__.co_linetable, Python 3.11.2) */
static const uint8_t table[] = {
    0x80, 0x00, 0xd8, 0x08, 0x09, 0x88, 0x41, 0x89, 0x05, 0x80, 0x41, 0xd8, 0x07, 0x08, 0x88, 0x31,
    0x82, 0x75, 0x80, 0x75, 0xf0, 0x02, 0x01, 0x10, 0x23, 0xf0, 0x00, 0x01, 0x10, 0x23, 0xdd, 0x19,
    0x1e, 0x98, 0x71, 0x99, 0x18, 0x9c, 0x18, 0xf0, 0x03, 0x01, 0x10, 0x23, 0xf1, 0x00, 0x01, 0x10,
    0x23, 0xf4, 0x00, 0x01, 0x10, 0x23, 0xf0, 0x00, 0x01, 0x09, 0x23, 0xf0, 0x06, 0x00, 0x0d, 0x0e,
    0xd8, 0x0c, 0x0d, 0xf0, 0x03, 0x01, 0x0c, 0x0f, 0xf0, 0x00, 0x01, 0x05, 0x0f};

static const int lines[41] = {1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 5, 5, 5, 5, 5, 5, 5,
                              5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 7, 8, 7, 7};

static void test_every_unit(void **state)
{
	(void)state;
	struct model_pycode c = {.py_version = 0x030b,
	                         .firstlineno = 1,
	                         .linetable = (uint8_t *)table,
	                         .linetable_len = sizeof(table)};
	for (uint32_t u = 0; u < 41; u++)
		assert_int_equal(model_py_line(&c, u), lines[u]);
	assert_int_equal(model_py_line(&c, 41), 0); /* past the table */
	assert_int_equal(model_py_line(&c, TRACE_FRAME_PY_NO_INSTR), 1);
}

static void test_damaged(void **state)
{
	(void)state;
	static const uint8_t bad[] = {0x80, 0x00, 0x08, 0x09};
	struct model_pycode c = {.py_version = 0x030b,
	                         .firstlineno = 10,
	                         .linetable = (uint8_t *)bad,
	                         .linetable_len = sizeof(bad)};
	assert_int_equal(model_py_line(&c, 0), 10);
	assert_int_equal(model_py_line(&c, 1), 0); /* not an entry's start: unknown */
	c.py_version = 0x030c;                     /* another format: the first line */
	assert_int_equal(model_py_line(&c, 0), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_unit),
	    cmocka_unit_test(test_damaged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
