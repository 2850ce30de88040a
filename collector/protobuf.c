/* SPDX-License-Identifier: MIT */
/* protobuf.c - a minimal protobuf encoder (wire types 0 and 2 only) and gzip through zlib,
 * enough for profile.proto. Decoding is never needed here: tests check the output with
 * `protoc --decode_raw` and the pprof tool, which are independent of this code. */
#include "protobuf.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static bool reserve(struct protobuf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n <= b->cap)
		return true;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + n)
		ncap *= 2;
	uint8_t *d = realloc(b->data, ncap);
	if (!d) {
		b->oom = true;
		return false;
	}
	b->data = d;
	b->cap = ncap;
	return true;
}

static void put_varint(struct protobuf *b, uint64_t v)
{
	if (!reserve(b, 10))
		return;
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		b->data[b->len++] = byte | (v ? 0x80 : 0);
	} while (v);
}

void protobuf_reset(struct protobuf *b)
{
	b->len = 0;
	b->oom = false;
}

void protobuf_fini(struct protobuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

bool protobuf_failed(const struct protobuf *b)
{
	return b->oom;
}

void protobuf_uint64(struct protobuf *b, uint32_t field, uint64_t v)
{
	put_varint(b, (uint64_t)field << 3);
	put_varint(b, v);
}

void protobuf_int64(struct protobuf *b, uint32_t field, int64_t v)
{
	protobuf_uint64(b, field, (uint64_t)v);
}

void protobuf_bytes(struct protobuf *b, uint32_t field, const void *p, size_t n)
{
	put_varint(b, (uint64_t)field << 3 | 2);
	put_varint(b, n);
	if (n && reserve(b, n)) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
	}
}

void protobuf_string(struct protobuf *b, uint32_t field, const char *s)
{
	protobuf_bytes(b, field, s, strlen(s));
}

void protobuf_append(struct protobuf *b, const struct protobuf *fields)
{
	if (fields->oom)
		b->oom = true;
	else if (fields->len && reserve(b, fields->len)) {
		memcpy(b->data + b->len, fields->data, fields->len);
		b->len += fields->len;
	}
}

int protobuf_gzip(const struct protobuf *b, uint8_t **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	if (b->oom)
		return -1;
	z_stream z = {0};
	/* windowBits 15 + 16: a gzip header and trailer, which pprof expects. */
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)b->len) + 64;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = b->data;
	z.avail_in = (uInt)b->len;
	z.next_out = buf;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	size_t n = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = n;
	return 0;
}
