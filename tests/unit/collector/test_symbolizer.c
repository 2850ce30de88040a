/* SPDX-License-Identifier: MIT */
/* test_symbolizer.c - symbolizer.c against a real -O2 -g shared object compiled in the
 * setup: a return address inside an always_inline function inlined into a noinline one
 * must expand to two frames (inner marked inlined, with the call site line for the outer),
 * with exact names, file and lines; a build-id mismatch, an address outside every module,
 * and libleak's own frames are handled as documented. Built by gcc and by clang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "symbolizer.h"
#include "trace_reader.h"
#include "trace_builder.h"

/* Line numbers below are asserted: keep the source lines in this order. */
static const char lib_src[] = "#include <stddef.h>\n"                                   /* 1 */
                              "volatile int sink;\n"                                    /* 2 */
                              "__attribute__((noinline, noipa)) void *grab(void)\n"     /* 3 */
                              "{\n"                                                     /* 4 */
                              "\treturn __builtin_return_address(0);\n"                 /* 5 */
                              "}\n"                                                     /* 6 */
                              "static inline __attribute__((always_inline)) void *\n"   /* 7 */
                              "inner_inline(int x)\n"                                   /* 8 */
                              "{\n"                                                     /* 9 */
                              "\tvoid *r = grab();\n"                                   /* 10 */
                              "\tsink = x;\n"                                           /* 11 */
                              "\treturn r;\n"                                           /* 12 */
                              "}\n"                                                     /* 13 */
                              "static inline __attribute__((always_inline)) void *\n"   /* 14 */
                              "mid_inline(int x)\n"                                     /* 15 */
                              "{\n"                                                     /* 16 */
                              "\tvoid *r = inner_inline(x * 3);\n"                      /* 17 */
                              "\tsink = 5;\n"                                           /* 18 */
                              "\treturn r;\n"                                           /* 19 */
                              "}\n"                                                     /* 20 */
                              "__attribute__((noinline)) void *outer_noinline(int x)\n" /* 21 */
                              "{\n"                                                     /* 22 */
                              "\tvoid *r = mid_inline(x + 1);\n"                        /* 23 */
                              "\tsink = 2;\n"                                           /* 24 */
                              "\treturn r;\n"                                           /* 25 */
                              "}\n";                                                    /* 26 */

/* One build of the library: by gcc (the default compiler) and by clang, whose DWARF 5
 * without .debug_aranges needs the symbolizer's CU-scan fallback. */
struct lib {
	const char *cc;
	char so_path[128];
	void *handle;
	uint64_t so_base, so_lo, so_hi;
	uint8_t so_bid[64];
	size_t so_bid_len;
	uint64_t ret_addr;
};
static char dir[64];
static struct lib libs[2] = {{.cc = "gcc"}, {.cc = "clang"}};

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct lib *l = arg;
	if (!info->dlpi_name || strcmp(info->dlpi_name, l->so_path) != 0)
		return 0;
	l->so_base = info->dlpi_addr;
	l->so_lo = UINT64_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD) {
			if (l->so_base + ph->p_vaddr < l->so_lo)
				l->so_lo = l->so_base + ph->p_vaddr;
			if (l->so_base + ph->p_vaddr + ph->p_memsz > l->so_hi)
				l->so_hi = l->so_base + ph->p_vaddr + ph->p_memsz;
		}
		if (ph->p_type != PT_NOTE)
			continue;
		const uint8_t *p = (const uint8_t *)(l->so_base + ph->p_vaddr);
		const uint8_t *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const uint8_t *desc = p + sizeof(*n) + ((n->n_namesz + 3) & ~3u);
			if (n->n_type == NT_GNU_BUILD_ID && n->n_descsz <= sizeof(l->so_bid)) {
				memcpy(l->so_bid, desc, n->n_descsz);
				l->so_bid_len = n->n_descsz;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1;
}

/* Compiles symlib.c into dir/lib<cc>.so with l->cc, loads it and records where it is. */
static int build_lib(struct lib *l, const char *src, const char *entry)
{
	char cmd[512];
	snprintf(l->so_path, sizeof(l->so_path), "%s/libsym%s.so", dir,
	         strcmp(l->cc, "g++") == 0 ? "gxx" : l->cc);
	snprintf(cmd, sizeof(cmd), "%s -w -O2 -g -fPIC -shared -Wl,--build-id -o %s %s", l->cc,
	         l->so_path, src);
	if (system(cmd) != 0)
		return -1;
	l->handle = dlopen(l->so_path, RTLD_NOW);
	if (!l->handle)
		return -1;
	void *(*outer)(int) = (void *(*)(int))dlsym(l->handle, entry);
	if (!outer)
		return -1;
	l->ret_addr = (uint64_t)(uintptr_t)outer(1);
	dl_iterate_phdr(phdr_cb, l);
	return l->so_bid_len ? 0 : -1;
}

/* C++: a member function in a namespace; its frame must read demangled. */
static const char cxx_src[] = "extern \"C\" __attribute__((noinline, noipa)) void *grab(void)\n"
                              "{ return __builtin_return_address(0); }\n"
                              "volatile int sink;\n"
                              "namespace ns { struct K { static void *outer(int); }; }\n"
                              "__attribute__((noinline)) void *ns::K::outer(int x)\n"
                              "{ void *r = grab(); sink = x; return r; }\n"
                              "extern \"C\" void *call_outer(void) { return ns::K::outer(3); }\n";
static struct lib cxx_lib = {.cc = "g++"};

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lk-sym-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char src[128];
	snprintf(src, sizeof(src), "%s/symlib.c", dir);
	FILE *f = fopen(src, "w");
	if (!f)
		return -1;
	fputs(lib_src, f);
	fclose(f);
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		if (build_lib(&libs[i], src, "outer_noinline") != 0)
			return -1;
	}
	snprintf(src, sizeof(src), "%s/symlib.cc", dir);
	if (!(f = fopen(src, "w")))
		return -1;
	fputs(cxx_src, f);
	fclose(f);
	return build_lib(&cxx_lib, src, "call_outer");
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A one-process model whose stack 1 is {ret_addr, an address in no module}, with module 1
 * the test .so (build-id as given) and module 2 a fake libleak.so whose frame must vanish. */
static struct model *make_model(const struct lib *l, const uint8_t *bid, size_t bid_len)
{
	struct tb t;
	tb_init(&t);
	tb_process(&t, 1, 0, 0, 0, "/x", 0, NULL);
	tb_module(&t, 1, l->so_base, l->so_lo, l->so_hi, l->so_path, bid, bid_len);
	tb_module(&t, 2, 0x10000000, 0x10000000, 0x10100000, "/opt/lib/libleak.so", NULL, 0);
	const uint64_t frames[] = {0x10000123, l->ret_addr, 0x42};
	tb_stack(&t, 1, 3, frames);
	tb_flush(&t);
	struct model *m = model_create();
	struct err e;
	assert_int_equal(trace_reader_load_mem(m, "sym", t.file.data, t.file.len, &e), 0);
	tb_free(&t);
	return m;
}

static void test_inlined_frames(void **state)
{
	const struct lib *l = *state;
	struct model *m = make_model(l, l->so_bid, l->so_bid_len);
	struct symbolizer *s = symbolizer_create(true, NULL);
	struct sym_stack out = {0};
	struct err e;
	const struct model_proc *p = m->procs[0];
	for (int round = 0; round < 2; round++) { /* the second round is served by the cache */
		assert_int_equal(symbolizer_stack(s, p, model_proc_stack(p, 1), &out, &e), 0);
		assert_int_equal(out.n, 4);
		assert_string_equal(out.frames[0].function, "inner_inline");
		assert_string_equal(out.frames[0].file, "symlib.c");
		assert_int_equal(out.frames[0].line, 10);
		assert_true(out.frames[0].inlined);
		assert_int_equal(out.frames[0].addr, l->ret_addr);
		assert_string_equal(out.frames[0].module, l->so_path);
		/* The middle of a two-level inline chain (dwarf_getscopes alone loses it). */
		assert_string_equal(out.frames[1].function, "mid_inline");
		assert_string_equal(out.frames[1].file, "symlib.c");
		assert_int_equal(out.frames[1].line, 17);
		assert_true(out.frames[1].inlined);
		assert_string_equal(out.frames[2].function, "outer_noinline");
		assert_string_equal(out.frames[2].file, "symlib.c");
		assert_int_equal(out.frames[2].line, 23);
		assert_false(out.frames[2].inlined);
		assert_int_equal(out.frames[2].offset, l->ret_addr - l->so_base);
		/* Outside every module: kept, unresolved. */
		assert_null(out.frames[3].function);
		assert_null(out.frames[3].module);
		assert_int_equal(out.frames[3].addr, 0x42);
	}
	sym_stack_fini(&out);
	symbolizer_destroy(s);
	model_destroy(m);
}

static void test_build_id_mismatch(void **state)
{
	const struct lib *l = *state;
	uint8_t wrong[20];
	memset(wrong, 0xab, sizeof(wrong));
	struct model *m = make_model(l, wrong, sizeof(wrong));
	/* An empty debug root, so no .build-id file can rescue it. */
	struct symbolizer *s = symbolizer_create(true, dir);
	struct sym_stack out = {0};
	struct err e;
	const struct model_proc *p = m->procs[0];
	assert_int_equal(symbolizer_stack(s, p, model_proc_stack(p, 1), &out, &e), 0);
	assert_int_equal(out.n, 2);
	assert_null(out.frames[0].function);
	assert_string_equal(out.frames[0].module, l->so_path);
	assert_int_equal(out.frames[0].offset, l->ret_addr - l->so_base);
	sym_stack_fini(&out);
	symbolizer_destroy(s);
	model_destroy(m);
}

static void test_no_symbols(void **state)
{
	const struct lib *l = *state;
	struct model *m = make_model(l, l->so_bid, l->so_bid_len);
	struct symbolizer *s = symbolizer_create(false, NULL);
	struct sym_stack out = {0};
	struct err e;
	const struct model_proc *p = m->procs[0];
	assert_int_equal(symbolizer_stack(s, p, model_proc_stack(p, 1), &out, &e), 0);
	assert_int_equal(out.n, 2);
	assert_null(out.frames[0].function);
	assert_false(out.frames[0].inlined);
	assert_string_equal(out.frames[0].module, l->so_path);
	sym_stack_fini(&out);
	symbolizer_destroy(s);
	model_destroy(m);
}

static void test_cxx_demangled(void **state)
{
	(void)state;
	const struct lib *l = &cxx_lib;
	struct model *m = make_model(l, l->so_bid, l->so_bid_len);
	struct symbolizer *s = symbolizer_create(true, NULL);
	struct sym_stack out = {0};
	struct err e;
	const struct model_proc *p = m->procs[0];
	assert_int_equal(symbolizer_stack(s, p, model_proc_stack(p, 1), &out, &e), 0);
	assert_int_equal(out.n, 2);
	assert_string_equal(out.frames[0].function, "ns::K::outer(int)");
	assert_string_equal(out.frames[0].file, "symlib.cc");
	assert_int_equal(out.frames[0].line, 6);
	sym_stack_fini(&out);
	symbolizer_destroy(s);
	model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_prestate(test_inlined_frames, &libs[0]),
	    cmocka_unit_test_prestate(test_inlined_frames, &libs[1]),
	    cmocka_unit_test_prestate(test_build_id_mismatch, &libs[0]),
	    cmocka_unit_test_prestate(test_build_id_mismatch, &libs[1]),
	    cmocka_unit_test_prestate(test_no_symbols, &libs[0]),
	    cmocka_unit_test(test_cxx_demangled),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
