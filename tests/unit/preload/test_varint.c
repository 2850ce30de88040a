/* SPDX-License-Identifier: MIT */
/* test_varint.c - common/varint.h: LEB128 and zigzag round trips at the edges, string/bytes
 * framing, the fixed 3-byte record length (a padded varint the reader must accept as is), and
 * the decoder's bounds checks. The preload and the collector both depend on these. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "varint.h"

static int grow_heap(trace_buf_t *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 16;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

static void test_unsigned_round_trip(void **state)
{
	(void)state;
	static const uint64_t vals[] = {0,
	                                1,
	                                127,
	                                128,
	                                16383,
	                                16384,
	                                (1ull << 21) - 1,
	                                1ull << 32,
	                                (1ull << 63) - 1,
	                                1ull << 63,
	                                UINT64_MAX};
	static const size_t lens[] = {1, 1, 1, 2, 2, 3, 3, 5, 9, 10, 10};
	trace_buf_t b = {.grow = grow_heap};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		size_t before = b.len;
		trace_put_u(&b, vals[i]);
		assert_int_equal(b.len - before, lens[i]);
	}
	assert_int_equal(b.err, 0);
	trace_cur_t c = {b.data, b.data + b.len, 0};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		assert_true(trace_get_u(&c) == vals[i]);
	assert_int_equal(c.err, 0);
	assert_ptr_equal(c.p, c.end);
	/* Reading past the end fails and keeps failing. */
	assert_true(trace_get_u(&c) == 0);
	assert_int_equal(c.err, 1);
	free(b.data);
}

static void test_signed_round_trip(void **state)
{
	(void)state;
	static const int64_t vals[] = {0,   -1,        1,         -64,       64,
	                               -65, INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX};
	trace_buf_t b = {.grow = grow_heap};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		trace_put_s(&b, vals[i]);
	/* zigzag keeps small magnitudes small: -1 -> 1, 1 -> 2, -64 -> 127 (one byte). */
	assert_int_equal(b.data[1], 1);
	assert_int_equal(b.data[2], 2);
	assert_int_equal(b.data[3], 127);
	trace_cur_t c = {b.data, b.data + b.len, 0};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		assert_true(trace_get_s(&c) == vals[i]);
	assert_int_equal(c.err, 0);
	free(b.data);
}

static void test_bytes_and_limits(void **state)
{
	(void)state;
	trace_buf_t b = {.grow = grow_heap};
	trace_put_str(&b, "/usr/lib/libfoo.so", 4096);
	trace_put_str(&b, NULL, 4096);
	trace_put_str(&b, "abcdef", 3); /* capped */
	trace_cur_t c = {b.data, b.data + b.len, 0};
	const uint8_t *s;
	assert_int_equal(trace_get_bytes(&c, &s, 100), 18);
	assert_memory_equal(s, "/usr/lib/libfoo.so", 18);
	assert_int_equal(trace_get_bytes(&c, &s, 100), 0);
	assert_int_equal(trace_get_bytes(&c, &s, 100), 3);
	assert_memory_equal(s, "abc", 3);
	assert_int_equal(c.err, 0);
	/* A length above max, or past the end, is an error and yields no pointer. */
	trace_cur_t c2 = {b.data, b.data + b.len, 0};
	assert_int_equal(trace_get_bytes(&c2, &s, 10), 0);
	assert_null(s);
	assert_int_equal(c2.err, 1);
	trace_cur_t c3 = {b.data, b.data + 5, 0};
	assert_int_equal(trace_get_bytes(&c3, &s, 100), 0);
	assert_int_equal(c3.err, 1);
	free(b.data);
}

static void test_overlong_varint(void **state)
{
	(void)state;
	uint8_t eleven[11];
	memset(eleven, 0x80, sizeof(eleven));
	eleven[10] = 0;
	trace_cur_t c = {eleven, eleven + 11, 0};
	trace_get_u(&c);
	assert_int_equal(c.err, 1);
	/* 10th byte above 1 overflows 64 bits. */
	uint8_t ten[10];
	memset(ten, 0xff, 9);
	ten[9] = 0x02;
	trace_cur_t c2 = {ten, ten + 10, 0};
	trace_get_u(&c2);
	assert_int_equal(c2.err, 1);
}

static void test_record_padded_length(void **state)
{
	(void)state;
	static const size_t sizes[] = {0, 1, 127, 128, 16383, 16384, (1u << 21) - 1};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		trace_buf_t b = {.grow = grow_heap};
		size_t rec = trace_rec_begin(&b, 6);
		for (size_t k = 0; k < sizes[i]; k++)
			trace_put_u(&b, k & 0x7f);
		trace_rec_end(&b, rec);
		assert_int_equal(b.err, 0);
		assert_int_equal(b.len, 1 + TRACE_REC_LEN_BYTES + sizes[i]);
		/* Always 3 bytes, high bits set on the first two: 0x80 0x80 0x00 for 0. */
		if (sizes[i] == 0) {
			assert_int_equal(b.data[1], 0x80);
			assert_int_equal(b.data[2], 0x80);
			assert_int_equal(b.data[3], 0x00);
		}
		trace_cur_t c = {b.data, b.data + b.len, 0};
		assert_int_equal(*c.p++, 6);
		assert_true(trace_get_u(&c) == sizes[i]);
		assert_int_equal(c.err, 0);
		assert_int_equal(c.end - c.p, sizes[i]);
		free(b.data);
	}
	/* 2 MiB does not fit in 3 bytes: the record sets the sticky error. */
	trace_buf_t b = {.grow = grow_heap};
	size_t rec = trace_rec_begin(&b, 6);
	assert_int_equal(trace_buf_reserve(&b, 1u << 21), 0);
	b.len += 1u << 21;
	trace_rec_end(&b, rec);
	assert_int_equal(b.err, 1);
	/* Sticky: later puts are no-ops. */
	size_t len = b.len;
	trace_put_u(&b, 5);
	assert_int_equal(b.len, len);
	free(b.data);
}

static void test_no_grow_sets_error(void **state)
{
	(void)state;
	uint8_t mem[10]; /* every put reserves its worst case, 10 bytes */
	trace_buf_t b = {.data = mem, .cap = sizeof(mem)};
	trace_put_u(&b, 1);
	assert_int_equal(b.err, 0);
	trace_put_u(&b, UINT64_MAX); /* needs room for 10 */
	assert_int_equal(b.err, 1);
	assert_int_equal(b.len, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unsigned_round_trip),  cmocka_unit_test(test_signed_round_trip),
	    cmocka_unit_test(test_bytes_and_limits),     cmocka_unit_test(test_overlong_varint),
	    cmocka_unit_test(test_record_padded_length), cmocka_unit_test(test_no_grow_sets_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
