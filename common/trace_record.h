/* SPDX-License-Identifier: MIT */
/* trace_record.h - one record of docs/FORMAT.md in memory, generated from trace_records.h:
 * struct trace_rec_<name> per record (a field per member, named as in the list) and
 * struct trace_record, the tagged union the reader hands to the model. Writers fill a
 * trace_rec_<name> and pass it to trace_enc_<name> (trace_codec.h).
 * Strings and lists are views: after decoding they point into the reader's chunk buffer and
 * into the record's own `store`, so a decoded record is valid until the next one is decoded
 * into the same struct trace_record and is not copied by value; model.c copies what it keeps. */
#ifndef LEAK_COMMON_TRACE_RECORD_H
#define LEAK_COMMON_TRACE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace_format.h"

/* Bytes, not NUL-terminated (the format has none). */
struct trace_str {
	const uint8_t *p;
	size_t len;
};

#define TRACE_MEMBER_U(name)          uint64_t name;
#define TRACE_MEMBER_ID(name)         uint64_t name;
#define TRACE_MEMBER_S(name)          int64_t name;
#define TRACE_MEMBER_STR(name, max)   struct trace_str name;
#define TRACE_MEMBER_BYTES(name, max) struct trace_str name;
#define TRACE_MEMBER_ARGV(count, items)                                                            \
	uint32_t count;                                                                            \
	const struct trace_str *items;
#define TRACE_MEMBER_FRAMES(count, items)                                                          \
	uint32_t count;                                                                            \
	const uint64_t *items;
#define TRACE_MEMBER_OPT_U(name)                                                                   \
	uint64_t name;                                                                             \
	bool has_##name;
#define TRACE_MEMBER_(kind, ...) TRACE_MEMBER_##kind(__VA_ARGS__)

/* Room a decoder fills for the list fields (the struct's pointers point here). */
#define TRACE_STORE_U(name)
#define TRACE_STORE_ID(name)
#define TRACE_STORE_S(name)
#define TRACE_STORE_STR(name, max)
#define TRACE_STORE_BYTES(name, max)
#define TRACE_STORE_ARGV(count, items)   struct trace_str items[TRACE_MAX_ARGC];
#define TRACE_STORE_FRAMES(count, items) uint64_t items[TRACE_MAX_FRAMES];
#define TRACE_STORE_OPT_U(name)
#define TRACE_STORE_(kind, ...) TRACE_STORE_##kind(__VA_ARGS__)

#define TRACE_REC_STRUCT_(num, TAG, name)                                                          \
	struct trace_rec_##name {                                                                  \
		TRACE_FIELDS_##name(TRACE_MEMBER_)                                                 \
	};                                                                                         \
	struct trace_store_##name {                                                                \
		char none_; /* a C struct may not be empty */                                      \
		TRACE_FIELDS_##name(TRACE_STORE_)                                                  \
	};
TRACE_RECORDS(TRACE_REC_STRUCT_)
#undef TRACE_REC_STRUCT_

struct trace_record {
	trace_tag_t tag;
	union {
#define TRACE_REC_UNION_(num, TAG, name) struct trace_rec_##name name;
		TRACE_RECORDS(TRACE_REC_UNION_)
#undef TRACE_REC_UNION_
	} u;
	union {
#define TRACE_STORE_UNION_(num, TAG, name) struct trace_store_##name name;
		TRACE_RECORDS(TRACE_STORE_UNION_)
#undef TRACE_STORE_UNION_
	} store;
};

#endif
