/* SPDX-License-Identifier: MIT */
/* protobuf.h - the few protobuf wire-format primitives export_pprof.c needs, written into a
 * growable byte buffer: varints, length-delimited fields (repeated scalars are written unpacked,
 * one field each: every protobuf parser accepts that, and `protoc --decode_raw` shows them). A
 * nested message is encoded into its own buffer and appended with protobuf_bytes(), which
 * keeps the encoder free of back-patching. Out of memory is sticky (protobuf_failed()), so
 * callers check once at the end instead of after every field. */
#ifndef LEAK_COLLECTOR_PROTOBUF_H
#define LEAK_COLLECTOR_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct protobuf {
	uint8_t *data;
	size_t len, cap;
	bool oom; /* an append failed; data holds what fitted before */
};

/* A zeroed struct protobuf is empty. reset keeps the allocation; fini frees it. */
void protobuf_reset(struct protobuf *b);
void protobuf_fini(struct protobuf *b);
bool protobuf_failed(const struct protobuf *b);

/* Field `field` as a varint (wire type 0); int64 values are written two's complement. */
void protobuf_uint64(struct protobuf *b, uint32_t field, uint64_t v);
void protobuf_int64(struct protobuf *b, uint32_t field, int64_t v);
/* Field `field` as length-delimited bytes (wire type 2): strings and nested messages. */
void protobuf_bytes(struct protobuf *b, uint32_t field, const void *p, size_t n);
void protobuf_string(struct protobuf *b, uint32_t field, const char *s);
/* Appends already encoded fields (another buffer's bytes) as they are. */
void protobuf_append(struct protobuf *b, const struct protobuf *fields);

/* Gzips b's bytes into a new malloc'd buffer (*out, *out_len). Returns 0 or -1 (out of memory
 * or a zlib error). */
int protobuf_gzip(const struct protobuf *b, uint8_t **out, size_t *out_len);

#endif
