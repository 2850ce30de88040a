/* SPDX-License-Identifier: MIT */
/* test_codec.c - common/trace_codec.h, generated from common/trace_records.h: every record
 * kind of the list (a new one is covered by existing) is filled field by field, encoded and
 * decoded with the reader's decoder, and compared; at the format's limits, past them (the
 * encoder clamps), with bytes appended (ignored), cut at every byte (refused, except where only
 * OPT_ fields are missing), and with each ID field at 2^32 (refused). Golden bytes and
 * copies of the hand-written encoders the codec replaced pin the byte layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "trace_builder.h"
#include "trace_codec.h"

/* How a record is filled: small values (short strings, 3 frames), exactly at the limits, or
 * past them. */
enum fill { SMALL, AT_LIMIT, OVER_LIMIT };

#define OVER 7 /* how far past a limit OVER_LIMIT goes */

static uint8_t text[TRACE_MAX_STR + OVER]; /* string and bytes contents */
static struct trace_str argv_in[TRACE_MAX_ARGC + OVER];
static uint64_t frames_in[TRACE_MAX_FRAMES + OVER];

/* Varied values: the varint edges, the top bit, all ones. */
static uint64_t u_value(unsigned k)
{
	static const uint64_t v[] = {0,
	                             1,
	                             127,
	                             128,
	                             16383,
	                             16384,
	                             0xffffffffull,
	                             1ull << 32,
	                             1ull << 63,
	                             UINT64_MAX,
	                             0x555555555123ull};
	return v[k % (sizeof(v) / sizeof(v[0]))];
}

static uint64_t id_value(unsigned k)
{
	static const uint64_t v[] = {0, 1, 127, 128, 0xfffffffeull, 0xffffffffull, 4242};
	return v[k % (sizeof(v) / sizeof(v[0]))];
}

static int64_t s_value(unsigned k)
{
	static const int64_t v[] = {0, -1, 1, -64, 64, INT64_MIN, INT64_MAX, -1234567};
	return v[k % (sizeof(v) / sizeof(v[0]))];
}

static size_t str_len(enum fill f, size_t max, unsigned k)
{
	if (f == SMALL)
		return k % 5 == 0 ? 0 : 3 + k % 11; /* empty ones too */
	return f == AT_LIMIT ? max : max + OVER;
}

/* Frames: big addresses, deltas of both signs, and a wrap through zero. */
static void fill_frames(uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		switch (i % 4) {
		case 0:
			frames_in[i] = 0x7ffff7d80000ull + i * 0x1111;
			break;
		case 1:
			frames_in[i] = 0x555555554000ull + i;
			break;
		case 2:
			frames_in[i] = UINT64_MAX - i;
			break;
		default:
			frames_in[i] = i;
			break;
		}
	}
}

/* Fill: k counts fields (varied values per field); `bad` is the index of the field to set
 * to 2^32 if it is an ID (no field when out of range). */
#define FILL_U(name) r->name = u_value(k++);
#define FILL_ID(name)                                                                              \
	r->name = k == bad ? TRACE_ID_LIMIT : id_value(k);                                         \
	*has_bad |= k == bad;                                                                      \
	k++;
#define FILL_S(name) r->name = s_value(k++);
#define FILL_STR(name, max)                                                                        \
	r->name = (struct trace_str){text + (f == SMALL ? k : 0), str_len(f, (max), k)};           \
	k++;
#define FILL_BYTES(name, max) FILL_STR(name, max)
#define FILL_ARGV(count, items)                                                                    \
	r->count = f == SMALL ? 3 : f == AT_LIMIT ? TRACE_MAX_ARGC : TRACE_MAX_ARGC + OVER;        \
	for (uint32_t i_ = 0; i_ < r->count; i_++)                                                 \
		argv_in[i_] =                                                                      \
		    (struct trace_str){text + i_, f == SMALL      ? i_                             \
		                                  : f == AT_LIMIT ? TRACE_MAX_ARG_LEN              \
		                                                  : TRACE_MAX_ARG_LEN + OVER};     \
	r->items = argv_in;                                                                        \
	k++;
#define FILL_FRAMES(count, items)                                                                  \
	r->count = f == SMALL ? 3 : f == AT_LIMIT ? TRACE_MAX_FRAMES : TRACE_MAX_FRAMES + OVER;    \
	fill_frames(r->count);                                                                     \
	r->items = frames_in;                                                                      \
	k++;
#define FILL_OPT_U(name)                                                                           \
	r->name = u_value(k++);                                                                    \
	r->has_##name = true;
#define FILL_(kind, ...) FILL_##kind(__VA_ARGS__)

/* What a decoded field must hold: the input, clamped to the format's limits. */
static size_t clamp(size_t n, size_t max)
{
	return n < max ? n : max;
}

#define EQ_U(name)  assert_true(d->name == r->name);
#define EQ_ID(name) assert_true(d->name == r->name);
#define EQ_S(name)  assert_true(d->name == r->name);
#define EQ_STR(name, max)                                                                          \
	assert_int_equal(d->name.len, clamp(r->name.len, (max)));                                  \
	if (d->name.len)                                                                           \
		assert_memory_equal(d->name.p, r->name.p, d->name.len);
#define EQ_BYTES(name, max) EQ_STR(name, max)
#define EQ_ARGV(count, items)                                                                      \
	assert_int_equal(d->count, clamp(r->count, TRACE_MAX_ARGC));                               \
	for (uint32_t i_ = 0; i_ < d->count; i_++) {                                               \
		assert_int_equal(d->items[i_].len, clamp(r->items[i_].len, TRACE_MAX_ARG_LEN));    \
		if (d->items[i_].len)                                                              \
			assert_memory_equal(d->items[i_].p, r->items[i_].p, d->items[i_].len);     \
	}
#define EQ_FRAMES(count, items)                                                                    \
	assert_int_equal(d->count, clamp(r->count, TRACE_MAX_FRAMES));                             \
	for (uint32_t i_ = 0; i_ < d->count; i_++)                                                 \
		assert_true(d->items[i_] == r->items[i_]);
#define EQ_OPT_U(name)                                                                             \
	assert_true(d->has_##name == r->has_##name);                                               \
	assert_true(d->name == (r->has_##name ? r->name : 0));
#define EQ_(kind, ...) EQ_##kind(__VA_ARGS__)

/* OPT_ fields left out: the record as an older writer wrote it. */
#define DROP_U(name)
#define DROP_ID(name)
#define DROP_S(name)
#define DROP_STR(name, max)
#define DROP_BYTES(name, max)
#define DROP_ARGV(count, items)
#define DROP_FRAMES(count, items)
#define DROP_OPT_U(name)  r->has_##name = false;
#define DROP_(kind, ...)  DROP_##kind(__VA_ARGS__)
#define COUNT_(kind, ...) +1
#define HAS_OPT_U(name)   +1
#define HAS_(kind, ...)   HAS_##kind(__VA_ARGS__)
#define HAS_U(name)       +0
#define HAS_ID(name)      +0
#define HAS_S(name)       +0
#define HAS_STR(n, m)     +0
#define HAS_BYTES(n, m)   +0
#define HAS_ARGV(c, i)    +0
#define HAS_FRAMES(c, i)  +0

static trace_buf_t buf = {.grow = tb_grow};
static struct trace_record rec;

/* The payload of the one record in buf, after checking its tag. */
static trace_cur_t payload(unsigned tag)
{
	trace_cur_t c = {buf.data, buf.data + buf.len, 0};
	assert_int_equal(*c.p++, tag);
	uint64_t len = trace_get_u(&c);
	assert_false(c.err);
	assert_int_equal(len, (uint64_t)(c.end - c.p));
	c.end = c.p + len;
	return c;
}

/* Per record: fill, encode, decode, compare; then the variants. */
#define RT_FN_(num, TAG, name)                                                                     \
	static void fill_##name(struct trace_rec_##name *r, enum fill f, unsigned bad,             \
	                        int *has_bad)                                                      \
	{                                                                                          \
		unsigned k = 0;                                                                    \
		(void)f, (void)bad, (void)has_bad;                                                 \
		memset(r, 0, sizeof(*r));                                                          \
		TRACE_FIELDS_##name(FILL_)                                                         \
	}                                                                                          \
	static void check_##name(const struct trace_rec_##name *d,                                 \
	                         const struct trace_rec_##name *r)                                 \
	{                                                                                          \
		TRACE_FIELDS_##name(EQ_)                                                           \
	}                                                                                          \
	static void drop_opt_##name(struct trace_rec_##name *r)                                    \
	{                                                                                          \
		(void)r;                                                                           \
		TRACE_FIELDS_##name(DROP_)                                                         \
	}                                                                                          \
	static void test_rt_##name(void **state)                                                   \
	{                                                                                          \
		(void)state;                                                                       \
		struct trace_rec_##name in;                                                        \
		const char *why = NULL;                                                            \
		int has_bad = 0;                                                                   \
		for (int f = SMALL; f <= OVER_LIMIT; f++) {                                        \
			fill_##name(&in, (enum fill)f, UINT32_MAX, &has_bad);                      \
			buf.len = 0;                                                               \
			trace_enc_##name(&buf, &in);                                               \
			assert_false(buf.err);                                                     \
			trace_cur_t c = payload(num);                                              \
			assert_int_equal(trace_decode(num, &c, &rec, &why), 0);                    \
			assert_int_equal(rec.tag, TRACE_TAG_##TAG);                                \
			assert_true(c.p == c.end); /* every byte is a known field */               \
			check_##name(&rec.u.name, &in);                                            \
		}                                                                                  \
		/* Fields appended by a newer writer are ignored. */                               \
		fill_##name(&in, SMALL, UINT32_MAX, &has_bad);                                     \
		buf.len = 0;                                                                       \
		trace_enc_##name(&buf, &in);                                                       \
		size_t full = buf.len;                                                             \
		trace_put_u(&buf, 300);                                                            \
		trace_put_str(&buf, "future", 6);                                                  \
		trace_rec_end(&buf, 0);                                                            \
		trace_cur_t c = payload(num);                                                      \
		assert_int_equal(trace_decode(num, &c, &rec, &why), 0);                            \
		check_##name(&rec.u.name, &in);                                                    \
		/* Cut short: refused, but at the end of the non-OPT fields (an older writer). */  \
		drop_opt_##name(&in);                                                              \
		buf.len = 0;                                                                       \
		trace_enc_##name(&buf, &in);                                                       \
		size_t base = buf.len;                                                             \
		assert_true(base <= full);                                                         \
		assert_int_equal(base == full, (0 TRACE_FIELDS_##name(HAS_)) == 0);                \
		fill_##name(&in, SMALL, UINT32_MAX, &has_bad);                                     \
		buf.len = 0;                                                                       \
		trace_enc_##name(&buf, &in);                                                       \
		for (size_t cut = 4; cut < full; cut++) {                                          \
			c = (trace_cur_t){buf.data + 4, buf.data + cut, 0};                        \
			int rc = trace_decode(num, &c, &rec, &why);                                \
			if (cut < base)                                                            \
				assert_int_equal(rc, -1);                                          \
			else if (cut == base) {                                                    \
				assert_int_equal(rc, 0);                                           \
				struct trace_rec_##name old = in;                                  \
				drop_opt_##name(&old);                                             \
				check_##name(&rec.u.name, &old);                                   \
			}                                                                          \
		}                                                                                  \
		/* Each ID field at 2^32 is refused. */                                            \
		for (unsigned bad = 0; bad < 0 TRACE_FIELDS_##name(COUNT_); bad++) {               \
			has_bad = 0;                                                               \
			fill_##name(&in, SMALL, bad, &has_bad);                                    \
			buf.len = 0;                                                               \
			trace_enc_##name(&buf, &in);                                               \
			c = payload(num);                                                          \
			int rc = trace_decode(num, &c, &rec, &why);                                \
			assert_int_equal(rc, has_bad ? -1 : 0);                                    \
			if (has_bad)                                                               \
				assert_string_equal(why, "id not below 2^32");                     \
		}                                                                                  \
	}
TRACE_RECORDS(RT_FN_)
#undef RT_FN_

/* Tags the list does not have are left to the caller to skip. */
static void test_unknown_tag(void **state)
{
	(void)state;
	uint8_t p[] = {1, 2, 3};
	trace_cur_t c = {p, p + sizeof(p), 0};
	const char *why = NULL;
	assert_int_equal(trace_decode(0, &c, &rec, &why), 1);
	assert_int_equal(trace_decode(200, &c, &rec, &why), 1);
	assert_string_equal(trace_tag_name(TRACE_TAG_FD_OPEN), "FD_OPEN");
	assert_string_equal(trace_tag_name(200), "?");
	assert_string_equal(trace_fd_type_name(TRACE_FD_SOCKET), "socket");
	assert_string_equal(trace_fd_type_name(TRACE_FD_OTHER), "other");
	assert_string_equal(trace_fd_type_name(99), "other");
}

/* Lists and strings past their limits as a reader sees them, written by hand: the encoders
 * clamp to the limits, so only a foreign writer makes them. */
static void test_list_limits(void **state)
{
	(void)state;
	const char *why = NULL;
	buf.len = 0;
	trace_put_u(&buf, 1);
	trace_put_u(&buf, TRACE_MAX_FRAMES + 1);
	trace_cur_t c = {buf.data, buf.data + buf.len, 0};
	assert_int_equal(trace_decode(TRACE_TAG_STACK, &c, &rec, &why), -1);
	assert_string_equal(why, "more than 256 frames");
	buf.len = 0;
	for (int i = 0; i < 7; i++)
		trace_put_u(&buf, 1);
	trace_put_str(&buf, "/x", 2);
	trace_put_u(&buf, TRACE_MAX_ARGC + 1);
	c = (trace_cur_t){buf.data, buf.data + buf.len, 0};
	assert_int_equal(trace_decode(TRACE_TAG_PROCESS, &c, &rec, &why), -1);
	assert_string_equal(why, "argc above 256");
	/* A string one past its limit. */
	buf.len = 0;
	trace_put_u(&buf, 1);
	trace_put_u(&buf, TRACE_MAX_STR + 1);
	trace_buf_reserve(&buf, TRACE_MAX_STR + 1);
	memset(buf.data + buf.len, 'a', TRACE_MAX_STR + 1);
	buf.len += TRACE_MAX_STR + 1;
	c = (trace_cur_t){buf.data, buf.data + buf.len, 0};
	assert_int_equal(trace_decode(TRACE_TAG_EXEC, &c, &rec, &why), -1);
	assert_string_equal(why, "fields missing or over the length limits");
}

/* The exact bytes of FORMAT.md, written out by hand: a STACK with a negative delta (and the
 * 3-byte padded length), an END with a negative status. */
static void test_golden_bytes(void **state)
{
	(void)state;
	static const uint8_t stack[] = {0x04, 0x8d, 0x80, 0x00, 0x01, 0x03, 0xa3, 0xa2, 0xd5,
	                                0xaa, 0xd5, 0xaa, 0x15, 0xe6, 0x0c, 0xab, 0x0d};
	static const uint8_t end[] = {0x0e, 0x87, 0x80, 0x00, 0x80, 0xf7,
	                              0x97, 0xf3, 0x01, 0x00, 0x05};
	const uint64_t f[] = {0x555555555123ull, 0x555555555456ull, 0x555555555100ull};
	buf.len = 0;
	trace_enc_stack(&buf, &(struct trace_rec_stack){.id = 1, .n = 3, .frames = f});
	assert_int_equal(buf.len, sizeof(stack));
	assert_memory_equal(buf.data, stack, sizeof(stack));
	buf.len = 0;
	trace_enc_end(&buf, &(struct trace_rec_end){.t_ns = 510000000, .reason = 0, .status = -3});
	assert_int_equal(buf.len, sizeof(end));
	assert_memory_equal(buf.data, end, sizeof(end));
}

/* The hand-written encoders the codec replaced (preload/writer.c, modules.c, fd_table.c as
 * they were), kept here to show today's writer produces the same bytes. */
static void legacy_process(trace_buf_t *b, const char *exe, const char *cmd, size_t n)
{
	size_t rec0 = trace_rec_begin(b, TRACE_TAG_PROCESS);
	trace_put_u(b, 4242);
	trace_put_u(b, 1);
	trace_put_u(b, 1700000000000000000ull);
	trace_put_u(b, TRACE_PROC_FORKED | TRACE_PROC_SAMPLED);
	trace_put_u(b, 1000);
	trace_put_u(b, 65536);
	trace_put_u(b, 64);
	trace_put_str(b, exe, TRACE_MAX_STR);
	uint64_t argc = 0;
	for (size_t i = 0; i < n; i++)
		argc += cmd[i] == 0;
	if (n && cmd[n - 1] != 0)
		argc++;
	if (argc > TRACE_MAX_ARGC)
		argc = TRACE_MAX_ARGC;
	trace_put_u(b, argc);
	size_t p = 0;
	for (uint64_t i = 0; i < argc; i++) {
		size_t len = strnlen(cmd + p, n - p);
		trace_put_bytes(b, cmd + p, len > TRACE_MAX_ARG_LEN ? TRACE_MAX_ARG_LEN : len);
		p += len + 1;
	}
	trace_rec_end(b, rec0);
}

static void legacy_fd_open(trace_buf_t *b, const char *path, const char *peer, const char *api)
{
	size_t r = trace_rec_begin(b, TRACE_TAG_FD_OPEN);
	trace_put_u(b, 7);
	trace_put_u(b, 3);
	trace_put_u(b, TRACE_FD_SOCKET);
	trace_put_u(b, TRACE_FD_CLOEXEC);
	trace_put_u(b, 12);
	trace_put_u(b, 999999);
	trace_put_str(b, path, 64);
	trace_put_str(b, peer, 64);
	trace_put_str(b, api, 16);
	trace_rec_end(b, r);
}

static void test_same_bytes_as_before(void **state)
{
	(void)state;
	trace_buf_t old = {.grow = tb_grow};
	/* argv as /proc/self/cmdline gives it: the last one cut short, one over 4 KiB. */
	static char cmd[3 * TRACE_MAX_ARG_LEN];
	memset(cmd, 'a', sizeof(cmd));
	memcpy(cmd, "/bin/app\0-v\0\0", 13);
	cmd[13 + TRACE_MAX_ARG_LEN + 100] = 0;
	size_t n = sizeof(cmd);
	static const char exe[TRACE_MAX_STR] = "/bin/app"; /* strnlen's bound inside it */
	legacy_process(&old, exe, cmd, n);
	struct trace_str args[8];
	uint32_t argc = 0;
	for (size_t p = 0; p < n && argc < 8; argc++) {
		size_t len = strnlen(cmd + p, n - p);
		args[argc] = (struct trace_str){(const uint8_t *)cmd + p, len};
		p += len + 1;
	}
	buf.len = 0;
	trace_enc_process(&buf, &(struct trace_rec_process){
	                            .pid = 4242,
	                            .ppid = 1,
	                            .start_ns = 1700000000000000000ull,
	                            .flags = TRACE_PROC_FORKED | TRACE_PROC_SAMPLED,
	                            .interval_ms = 1000,
	                            .sample_bytes = 65536,
	                            .depth = 64,
	                            .exe = trace_cstr(exe, TRACE_MAX_STR),
	                            .argc = argc,
	                            .argv = args,
	                        });
	assert_int_equal(buf.len, old.len);
	assert_memory_equal(buf.data, old.data, old.len);

	old.len = 0;
	char path[64] = "tcp 127.0.0.1:5000", peer[64] = "", api[16];
	memset(api, 'z', sizeof(api)); /* full, no NUL: cut at the buffer */
	legacy_fd_open(&old, path, peer, api);
	buf.len = 0;
	trace_enc_fd_open(&buf, &(struct trace_rec_fd_open){
	                            .fd = 7,
	                            .gen = 3,
	                            .type = TRACE_FD_SOCKET,
	                            .flags = TRACE_FD_CLOEXEC,
	                            .stack_id = 12,
	                            .t_ns = 999999,
	                            .path = trace_cstr(path, sizeof(path)),
	                            .peer = trace_cstr(peer, sizeof(peer)),
	                            .api = trace_cstr(api, sizeof(api)),
	                        });
	assert_int_equal(buf.len, old.len);
	assert_memory_equal(buf.data, old.data, old.len);

	/* MODULE without its flags: the bytes of the first writers. */
	old.len = 0;
	static const uint8_t bid[] = {1, 2, 3, 4};
	static const char lib[512] = "/lib/libc.so.6";
	size_t r = trace_rec_begin(&old, TRACE_TAG_MODULE);
	trace_put_u(&old, 2);
	trace_put_u(&old, 0x7f0000000000ull);
	trace_put_u(&old, 0x7f0000001000ull);
	trace_put_u(&old, 0x7f0000009000ull);
	trace_put_u(&old, 5);
	trace_put_str(&old, lib, sizeof(lib));
	trace_put_bytes(&old, bid, sizeof(bid));
	trace_rec_end(&old, r);
	struct trace_rec_module m = {
	    .id = 2,
	    .base = 0x7f0000000000ull,
	    .lo = 0x7f0000001000ull,
	    .hi = 0x7f0000009000ull,
	    .t_ns = 5,
	    .path = trace_cstr(lib, sizeof(lib)),
	    .build_id = {bid, sizeof(bid)},
	};
	buf.len = 0;
	trace_enc_module(&buf, &m);
	assert_int_equal(buf.len, old.len);
	assert_memory_equal(buf.data, old.data, old.len);
	/* With flags: the same bytes plus one varint, the length patched. */
	m.flags = TRACE_MODULE_SELF;
	m.has_flags = true;
	buf.len = 0;
	trace_enc_module(&buf, &m);
	assert_int_equal(buf.len, old.len + 1);
	assert_memory_equal(buf.data + 4, old.data + 4, old.len - 4);
	assert_int_equal(buf.data[old.len], TRACE_MODULE_SELF);
	free(old.data);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)(i * 7 + i / 251); /* NUL bytes too: strings are bytes */
	const struct CMUnitTest tests[] = {
#define RT_TEST_(num, TAG, name) cmocka_unit_test(test_rt_##name),
	    TRACE_RECORDS(RT_TEST_)
#undef RT_TEST_
	        cmocka_unit_test(test_unknown_tag),
	    cmocka_unit_test(test_list_limits),
	    cmocka_unit_test(test_golden_bytes),
	    cmocka_unit_test(test_same_bytes_as_before),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(buf.data);
	return rc;
}
