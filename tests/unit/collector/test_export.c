/* SPDX-License-Identifier: MIT */
/* test_export.c - protobuf.c, export_samples.c, export_collapsed.c and export_pprof.c on a
 * synthesized trace: exact wire bytes for the encoder, a gzip round trip through zlib's own
 * inflate, exact folded lines for each metric (frames stay module+offset: no DWARF), and a
 * pprof profile decoded here field by field (string table, sample types, values, mapping
 * with the hex build-id). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "analyze.h"
#include "export_collapsed.h"
#include "export_pprof.h"
#include "export_samples.h"
#include "protobuf.h"
#include "trace_reader.h"
#include "trace_builder.h"

static void test_protobuf_wire(void **state)
{
	(void)state;
	struct protobuf b = {0};
	protobuf_uint64(&b, 1, 150);
	protobuf_int64(&b, 2, -1);
	protobuf_string(&b, 3, "hi");
	struct protobuf inner = {0};
	protobuf_uint64(&inner, 1, 1);
	protobuf_bytes(&b, 4, inner.data, inner.len);
	protobuf_append(&b, &inner);
	const uint8_t want[] = {0x08, 0x96, 0x01, 0x10, 0xff, 0xff, 0xff, 0xff,
	                        0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x1a, 0x02,
	                        'h',  'i',  0x22, 0x02, 0x08, 0x01, 0x08, 0x01};
	assert_false(protobuf_failed(&b));
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));

	/* gzip: zlib's inflate (gzip mode) gives the bytes back. */
	uint8_t *gz;
	size_t gz_len;
	assert_int_equal(protobuf_gzip(&b, &gz, &gz_len), 0);
	assert_true(gz_len > 18 && gz[0] == 0x1f && gz[1] == 0x8b);
	uint8_t back[64];
	z_stream z = {0};
	assert_int_equal(inflateInit2(&z, 16 + 15), Z_OK);
	z.next_in = gz;
	z.avail_in = (uInt)gz_len;
	z.next_out = back;
	z.avail_out = sizeof(back);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, sizeof(want));
	assert_memory_equal(back, want, sizeof(want));
	inflateEnd(&z);
	free(gz);

	protobuf_reset(&b);
	assert_int_equal(b.len, 0);
	protobuf_fini(&b);
	protobuf_fini(&inner);
}

static void test_metric_and_names(void **state)
{
	(void)state;
	enum export_metric m;
	struct err e = {{0}};
	assert_int_equal(export_metric_parse("growth", &m, &e), 0);
	assert_int_equal(m, EXPORT_GROWTH);
	assert_int_equal(export_metric_parse("live-count", &m, &e), 0);
	assert_int_equal(m, EXPORT_LIVE_COUNT);
	assert_int_equal(export_metric_parse("bytes", &m, &e), -1);
	assert_non_null(strstr(e.msg, "'bytes'"));

	char buf[64];
	struct sym_frame f = {.addr = 0x1234, .module = "/usr/lib/libx.so.1", .offset = 0x34};
	assert_string_equal(export_frame_name(&f, buf, sizeof(buf)), "libx.so.1+0x34");
	f.function = "cache_put";
	assert_string_equal(export_frame_name(&f, buf, sizeof(buf)), "cache_put");
	struct sym_frame g = {.addr = 0xdead};
	assert_string_equal(export_frame_name(&g, buf, sizeof(buf)), "0xdead");
}

/* /bin/app at 0x400000: stack 1 = main+0x2000 -> 0x1000 (300 B in 3 blocks, grew from 100),
 * stack 2 = 0x2000 -> 0x3000 (50 B in 1 block, new), stack 3 freed everything (0 now, 64
 * before: shrinking is no growth). */
static struct model *build(void)
{
	static const uint8_t bid[] = {0xde, 0xad, 0xbe, 0xef};
	static const char *const argv[] = {"/bin/app"};
	struct tb t;
	tb_init(&t);
	tb_process(&t, 100, 1, 1700000000000000000ull, 0, "/bin/app", 1, argv);
	tb_module(&t, 1, 0x400000, 0x400000, 0x500000, "/bin/app", bid, sizeof(bid));
	const uint64_t s1[] = {0x401000, 0x402000};
	const uint64_t s2[] = {0x403000, 0x402000};
	const uint64_t s3[] = {0x404000, 0x402000};
	tb_stack(&t, 1, 2, s1);
	tb_stack(&t, 2, 2, s2);
	tb_stack(&t, 3, 2, s3);
	tb_snapshot(&t, 0, 1000000000, 164, 2, 0, 0);
	tb_site(&t, 1, 100, 1);
	tb_site(&t, 3, 64, 1);
	tb_flush(&t);
	tb_snapshot(&t, 1, 3000000000ull, 350, 4, 0, TRACE_SNAP_FINAL);
	tb_site(&t, 1, 300, 3);
	tb_site(&t, 2, 50, 1);
	tb_site(&t, 3, 0, 0);
	tb_block(&t, 0x10, 100, 1, 0);
	tb_block(&t, 0x20, 100, 1, 0);
	tb_block(&t, 0x30, 100, 1, TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE);
	tb_block(&t, 0x40, 50, 2, 0);
	tb_end(&t, 3100000000ull, TRACE_END_EXIT, 0);
	tb_flush(&t);
	struct model *m = model_create();
	struct err e = {{0}};
	assert_int_equal(trace_reader_load_mem(m, "mem.lkt", t.file.data, t.file.len, &e), 0);
	tb_free(&t);
	return m;
}

static char *collapsed(const struct analysis *a, struct symbolizer *s, enum export_metric m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct err e = {{0}};
	assert_int_equal(export_collapsed_write(f, a, NULL, s, m, &e), 0);
	fclose(f);
	return buf;
}

static void test_collapsed(void **state)
{
	(void)state;
	struct model *m = build();
	struct analysis *a;
	struct err e = {{0}};
	struct analyze_opts o = {0};
	assert_int_equal(analyze_run(m, &o, &a, &e), 0);
	struct symbolizer *s = symbolizer_create(false, NULL);

	/* Outermost first; the leak and the reachable finding of stack 1 add up. */
	char *out = collapsed(a, s, EXPORT_LIVE_BYTES);
	assert_string_equal(out, "app+0x2000;app+0x1000 300\napp+0x2000;app+0x3000 50\n");
	free(out);
	out = collapsed(a, s, EXPORT_LIVE_COUNT);
	assert_string_equal(out, "app+0x2000;app+0x1000 3\napp+0x2000;app+0x3000 1\n");
	free(out);
	out = collapsed(a, s, EXPORT_GROWTH);
	assert_string_equal(out, "app+0x2000;app+0x1000 200\napp+0x2000;app+0x3000 50\n");
	free(out);

	/* A window holding one snapshot has no growth; live values do not depend on it. */
	struct analyze_opts w = {.window_end_set = true, .window_end_s = 1.5};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(export_collapsed_write(f, a, &w, s, EXPORT_GROWTH, &e), 0);
	assert_int_equal(export_collapsed_write(f, a, &w, s, EXPORT_LIVE_BYTES, &e), 0);
	fclose(f);
	assert_string_equal(buf, "app+0x2000;app+0x1000 300\napp+0x2000;app+0x3000 50\n");
	free(buf);

	symbolizer_destroy(s);
	analyze_free(a);
	model_destroy(m);
}

/* A minimal protobuf reader for the checks below. */
struct rd {
	const uint8_t *p, *end;
};

static uint64_t rd_varint(struct rd *r)
{
	uint64_t v = 0;
	for (int shift = 0; r->p < r->end; shift += 7) {
		uint8_t b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	fail_msg("truncated varint");
	return 0;
}

/* Next field: returns its number, sets *wt and either *v (varint) or *sub (bytes). */
static uint32_t rd_field(struct rd *r, uint32_t *wt, uint64_t *v, struct rd *sub)
{
	uint64_t key = rd_varint(r);
	*wt = key & 7;
	if (*wt == 0) {
		*v = rd_varint(r);
	} else if (*wt == 2) {
		uint64_t n = rd_varint(r);
		assert_true(n <= (uint64_t)(r->end - r->p));
		sub->p = r->p;
		sub->end = r->p + n;
		r->p += n;
	} else {
		fail_msg("unexpected wire type %u", *wt);
	}
	return (uint32_t)(key >> 3);
}

static void test_pprof(void **state)
{
	(void)state;
	struct model *m = build();
	struct analysis *a;
	struct err e = {{0}};
	struct analyze_opts o = {0};
	assert_int_equal(analyze_run(m, &o, &a, &e), 0);
	struct symbolizer *s = symbolizer_create(false, NULL);
	char *gz = NULL;
	size_t gz_len = 0;
	FILE *f = open_memstream(&gz, &gz_len);
	assert_int_equal(export_pprof_write(f, a, NULL, s, &e), 0);
	fclose(f);

	static uint8_t raw[1 << 16];
	z_stream z = {0};
	assert_int_equal(inflateInit2(&z, 16 + 15), Z_OK);
	z.next_in = (uint8_t *)gz;
	z.avail_in = (uInt)gz_len;
	z.next_out = raw;
	z.avail_out = sizeof(raw);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	size_t raw_len = z.total_out;
	inflateEnd(&z);

	/* Pass 1: the string table. */
	const char *strs[64];
	size_t lens[64], n_strs = 0;
	struct rd r = {raw, raw + raw_len}, sub;
	uint32_t wt;
	uint64_t v;
	while (r.p < r.end) {
		if (rd_field(&r, &wt, &v, &sub) == 6) {
			assert_true(n_strs < 64);
			strs[n_strs] = (const char *)sub.p;
			lens[n_strs++] = (size_t)(sub.end - sub.p);
		}
	}
	assert_true(n_strs > 5);
	assert_int_equal(lens[0], 0);
#define STR_IS(i, lit)                                                                             \
	((i) < n_strs && lens[i] == strlen(lit) && memcmp(strs[i], lit, lens[i]) == 0)

	/* Pass 2: sample types, samples, mapping. */
	int n_types = 0, n_samples = 0, n_maps = 0, n_locs = 0, n_funcs = 0;
	int64_t totals[3] = {0};
	r = (struct rd){raw, raw + raw_len};
	while (r.p < r.end) {
		uint32_t field = rd_field(&r, &wt, &v, &sub);
		uint32_t w2;
		uint64_t v2;
		struct rd s2;
		if (field == 1) {
			uint64_t type = 0, unit = 0;
			while (sub.p < sub.end) {
				uint32_t ff = rd_field(&sub, &w2, &v2, &s2);
				*(ff == 1 ? &type : &unit) = v2;
			}
			static const char *const want[3][2] = {{"inuse_space", "bytes"},
			                                       {"inuse_objects", "count"},
			                                       {"growth", "bytes"}};
			assert_true(n_types < 3);
			assert_true(STR_IS(type, want[n_types][0]));
			assert_true(STR_IS(unit, want[n_types][1]));
			n_types++;
		} else if (field == 2) {
			int k = 0;
			while (sub.p < sub.end) {
				if (rd_field(&sub, &w2, &v2, &s2) == 2) {
					assert_true(k < 3);
					totals[k++] += (int64_t)v2;
				}
			}
			assert_int_equal(k, 3);
			n_samples++;
		} else if (field == 3) {
			uint64_t file = 0, bid = 0, start = 0, limit = 0;
			while (sub.p < sub.end) {
				uint32_t ff = rd_field(&sub, &w2, &v2, &s2);
				if (ff == 2)
					start = v2;
				else if (ff == 3)
					limit = v2;
				else if (ff == 5)
					file = v2;
				else if (ff == 6)
					bid = v2;
			}
			assert_true(STR_IS(file, "/bin/app"));
			assert_true(STR_IS(bid, "deadbeef"));
			assert_int_equal(start, 0x400000);
			assert_int_equal(limit, 0x500000);
			n_maps++;
		} else if (field == 4) {
			n_locs++;
		} else if (field == 5) {
			n_funcs++;
		}
	}
	assert_int_equal(n_types, 3);
	assert_int_equal(n_samples, 2);
	assert_int_equal(totals[0], 350);
	assert_int_equal(totals[1], 4);
	assert_int_equal(totals[2], 250);
	assert_int_equal(n_maps, 1);
	assert_int_equal(n_locs, 3); /* 0x401000, 0x402000 (shared), 0x403000 */
	assert_int_equal(n_funcs, 3);
#undef STR_IS

	free(gz);
	symbolizer_destroy(s);
	analyze_free(a);
	model_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_protobuf_wire),
	    cmocka_unit_test(test_metric_and_names),
	    cmocka_unit_test(test_collapsed),
	    cmocka_unit_test(test_pprof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
