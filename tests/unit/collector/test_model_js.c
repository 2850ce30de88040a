/* SPDX-License-Identifier: MIT */
/* test_model_js.c - JS_CODE records (V8 perf map lines): the text split into function, script,
 * line and tier for node 20's, older V8's and stubs' forms; the same line twice kept once; a
 * frame named only when exactly one range covers its call, never when V8 reused the address. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model.h"
#include "trace_format.h"

static void add(struct model_proc *p, uint64_t start, uint64_t size, const char *name)
{
	struct trace_record r;
	memset(&r, 0, sizeof(r));
	r.tag = TRACE_TAG_JS_CODE;
	r.u.js_code.start = start;
	r.u.js_code.size = size;
	r.u.js_code.name = (struct trace_str){(const uint8_t *)name, strlen(name)};
	assert_int_equal(model_js_apply(p, &r), 0);
}

static void test_names(void **state)
{
	(void)state;
	struct model_proc p;
	memset(&p, 0, sizeof(p));
	add(&p, 0x1000, 0x100, "JS:~connectBackend /srv/app/server.js:31:20");
	add(&p, 0x2000, 0x100, "LazyCompile:*get value node:internal/streams/readable:12:4");
	add(&p, 0x3000, 0x100, "JS:^ /srv/app/server.js:7:1");
	add(&p, 0x4000, 0x100, "Builtin:ArrayPrototypePush");
	add(&p, 0x5000, 0x100, "JS:+f file.js:3");
	const struct model_jscode *c = model_proc_jscode(&p, 0x1010);
	assert_non_null(c);
	assert_string_equal(c->function, "connectBackend");
	assert_string_equal(c->path, "/srv/app/server.js");
	assert_string_equal(c->file, "server.js");
	assert_int_equal(c->line, 31);
	assert_string_equal(c->tier, "interpreted");
	assert_false(c->stub);
	c = model_proc_jscode(&p, 0x2010);
	assert_string_equal(c->function, "get value"); /* a getter's name has a space */
	assert_string_equal(c->path, "node:internal/streams/readable");
	assert_string_equal(c->file, "readable");
	assert_int_equal(c->line, 12);
	assert_string_equal(c->tier, "optimized");
	c = model_proc_jscode(&p, 0x3010);
	assert_string_equal(c->function, "(anonymous)");
	assert_int_equal(c->line, 7);
	assert_string_equal(c->tier, "baseline");
	c = model_proc_jscode(&p, 0x4010);
	assert_string_equal(c->function, "ArrayPrototypePush");
	assert_null(c->path);
	assert_int_equal(c->line, 0);
	assert_true(c->stub);
	c = model_proc_jscode(&p, 0x5010);
	assert_string_equal(c->function, "f");
	assert_string_equal(c->path, "file.js");
	assert_int_equal(c->line, 3);
	assert_string_equal(c->tier, "maglev");
	model_js_free(&p);
}

static void test_reused_address_unnamed(void **state)
{
	(void)state;
	struct model_proc p;
	memset(&p, 0, sizeof(p));
	add(&p, 0x1000, 0x100, "JS:~a a.js:1:1");
	add(&p, 0x1000, 0x100, "JS:~a a.js:1:1"); /* the same line again (another snapshot) */
	assert_int_equal(p.n_jscodes, 1);
	assert_string_equal(model_proc_jscode(&p, 0x1001)->function, "a");
	assert_string_equal(model_proc_jscode(&p, 0x1100)->function, "a"); /* call at 0x10ff */
	assert_null(model_proc_jscode(&p, 0x1000));                        /* call before it */
	assert_null(model_proc_jscode(&p, 0x1101));
	/* a was collected and b compiled over part of its range: no name there, either way */
	add(&p, 0x1080, 0x100, "JS:*b b.js:2:1");
	assert_null(model_proc_jscode(&p, 0x1090));
	assert_string_equal(model_proc_jscode(&p, 0x1010)->function, "a");
	assert_string_equal(model_proc_jscode(&p, 0x1150)->function, "b");
	/* the same function's code again over the range (another code object, same tier): named */
	add(&p, 0x2000, 0x100, "JS:~c c.js:3:1");
	add(&p, 0x2040, 0x100, "JS:~c c.js:3:1");
	assert_string_equal(model_proc_jscode(&p, 0x2050)->function, "c");
	add(&p, 0x2040, 0x80, "JS:*c c.js:3:1"); /* but another tier there: which ran? */
	assert_null(model_proc_jscode(&p, 0x2050));
	/* garbage lines never crash and name nothing they do not cover */
	add(&p, 0x9000, 0, "JS:~zero z.js:1:1");
	add(&p, UINT64_MAX - 4, 0x100, "JS:~wrap w.js:1:1");
	add(&p, 0xa000, 0x10, "");
	add(&p, 0xb000, 0x10, "JS:~x :5:1");
	assert_null(model_proc_jscode(&p, 0x9001));
	assert_string_equal(model_proc_jscode(&p, 0xa001)->function, "(anonymous)");
	assert_non_null(model_proc_jscode(&p, 0xb001));
	model_js_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_reused_address_unnamed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
