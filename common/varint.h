/* SPDX-License-Identifier: MIT */
/* varint.h - LEB128 varints and the record framing of docs/FORMAT.md, as static inline
 * helpers over caller-owned memory. No allocation, no libc calls beyond memcpy, so the
 * preload can use it on its own paths. Encoders write into a trace_buf_t whose `grow`
 * callback (may be NULL) is asked for more room; a failed grow sets `err` and later puts
 * become no-ops, so a writer checks once at the end (sticky error, as in jemalloc). */
#ifndef LEAK_COMMON_VARINT_H
#define LEAK_COMMON_VARINT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct trace_buf trace_buf_t;
struct trace_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int err;
	/* Make room for at least `need` bytes in total; returns 0 on success. */
	int (*grow)(trace_buf_t *b, size_t need);
};

static inline int trace_buf_reserve(trace_buf_t *b, size_t more)
{
	if (b->err)
		return -1;
	if (b->len + more <= b->cap)
		return 0;
	if (!b->grow || b->grow(b, b->len + more) != 0 || b->len + more > b->cap) {
		b->err = 1;
		return -1;
	}
	return 0;
}

static inline size_t varint_put_u64(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static inline uint64_t varint_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t varint_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline void trace_put_u(trace_buf_t *b, uint64_t v)
{
	if (trace_buf_reserve(b, 10) == 0)
		b->len += varint_put_u64(b->data + b->len, v);
}

static inline void trace_put_s(trace_buf_t *b, int64_t v)
{
	trace_put_u(b, varint_zigzag(v));
}

static inline void trace_put_bytes(trace_buf_t *b, const void *p, size_t n)
{
	trace_put_u(b, n);
	if (n && trace_buf_reserve(b, n) == 0) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
	}
}

static inline void trace_put_str(trace_buf_t *b, const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;
	trace_put_bytes(b, s, n);
}

/* Records: trace_rec_begin() reserves room for the tag and a fixed 3-byte length (payloads
 * are < 2 MiB), trace_rec_end() patches it. A padded LEB128 (0x80 0x80 0x00 style) is still a
 * valid varint, so readers need no special case. Returns the record start or (size_t)-1. */
#define TRACE_REC_LEN_BYTES 3
static inline size_t trace_rec_begin(trace_buf_t *b, uint8_t tag)
{
	if (trace_buf_reserve(b, 1 + TRACE_REC_LEN_BYTES) != 0)
		return (size_t)-1;
	size_t start = b->len;
	b->data[b->len++] = tag;
	b->len += TRACE_REC_LEN_BYTES;
	return start;
}

static inline void trace_rec_end(trace_buf_t *b, size_t start)
{
	if (b->err || start == (size_t)-1)
		return;
	size_t n = b->len - start - 1 - TRACE_REC_LEN_BYTES;
	if (n >= (1u << 21)) {
		b->err = 1;
		return;
	}
	uint8_t *p = b->data + start + 1;
	p[0] = (uint8_t)((n & 0x7f) | 0x80);
	p[1] = (uint8_t)(((n >> 7) & 0x7f) | 0x80);
	p[2] = (uint8_t)((n >> 14) & 0x7f);
}

/* Decoding: a cursor over [p, end). Every get checks bounds; on failure it sets `err` and
 * returns 0, so a record decoder reads all fields and checks `err` once. */
typedef struct {
	const uint8_t *p;
	const uint8_t *end;
	int err;
} trace_cur_t;

static inline uint64_t trace_get_u(trace_cur_t *c)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (c->p >= c->end) {
			c->err = 1;
			return 0;
		}
		uint8_t byte = *c->p++;
		if (shift == 63 && byte > 1) {
			c->err = 1;
			return 0;
		}
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return v;
	}
	c->err = 1;
	return 0;
}

static inline int64_t trace_get_s(trace_cur_t *c)
{
	return varint_unzigzag(trace_get_u(c));
}

/* Points *out at the bytes inside the buffer (not NUL-terminated); returns the length. */
static inline size_t trace_get_bytes(trace_cur_t *c, const uint8_t **out, size_t max)
{
	uint64_t n = trace_get_u(c);
	if (c->err || n > max || n > (uint64_t)(c->end - c->p)) {
		c->err = 1;
		*out = NULL;
		return 0;
	}
	*out = c->p;
	c->p += n;
	return (size_t)n;
}

#endif
