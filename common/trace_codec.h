/* SPDX-License-Identifier: MIT */
/* trace_codec.h - the encoders and the decoder of every record, generated from
 * trace_records.h over the varint.h primitives. Static inline, no allocation, no stdio: the
 * preload encodes with it on its own paths, the collector decodes with it.
 *
 * trace_enc_<name>(b, &rec) appends one record (tag, padded length, fields in list order).
 * Encoders clamp to the format's limits, so a writer cannot produce a record a reader
 * rejects: STR/BYTES at their max, ARGV at TRACE_MAX_ARGC strings of TRACE_MAX_ARG_LEN,
 * FRAMES at TRACE_MAX_FRAMES. An OPT_ field with has_<name> false ends the payload there
 * (the record as an older writer wrote it).
 *
 * trace_decode(tag, cur, rec, why) reads one payload. Every limit is checked: a string over
 * its max, more than TRACE_MAX_ARGC argv strings or TRACE_MAX_FRAMES frames, an ID not
 * below 2^32, or a payload that ends before its last non-OPT field makes the record bad.
 * Bytes past the fields this build knows are ignored (FORMAT.md versioning rules). */
#ifndef LEAK_COMMON_TRACE_CODEC_H
#define LEAK_COMMON_TRACE_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "trace_format.h"
#include "trace_record.h"
#include "varint.h"

/* A view of a C string of at most max bytes (s may be NULL: empty). */
static inline struct trace_str trace_cstr(const char *s, size_t max)
{
	struct trace_str r = {(const uint8_t *)s, s ? strnlen(s, max) : 0};
	return r;
}

static inline void trace_put_view(trace_buf_t *b, struct trace_str s, size_t max)
{
	trace_put_bytes(b, s.p, s.len < max ? s.len : max);
}

/* --- encoders: trace_enc_<name>(trace_buf_t *b, const struct trace_rec_<name> *r) ------- */

#define TRACE_PUT_U(name)          trace_put_u(b, r->name);
#define TRACE_PUT_ID(name)         trace_put_u(b, r->name);
#define TRACE_PUT_S(name)          trace_put_s(b, r->name);
#define TRACE_PUT_STR(name, max)   trace_put_view(b, r->name, (max));
#define TRACE_PUT_BYTES(name, max) trace_put_view(b, r->name, (max));
#define TRACE_PUT_ARGV(count, items)                                                               \
	{                                                                                          \
		uint32_t n_ = r->count < TRACE_MAX_ARGC ? r->count : TRACE_MAX_ARGC;               \
		trace_put_u(b, n_);                                                                \
		for (uint32_t i_ = 0; i_ < n_; i_++)                                               \
			trace_put_view(b, r->items[i_], TRACE_MAX_ARG_LEN);                        \
	}
/* Frame 0 absolute, then each frame minus the one before (wrapping, read back by unsigned
 * addition). */
#define TRACE_PUT_FRAMES(count, items)                                                             \
	{                                                                                          \
		uint32_t n_ = r->count < TRACE_MAX_FRAMES ? r->count : TRACE_MAX_FRAMES;           \
		trace_put_u(b, n_);                                                                \
		for (uint32_t i_ = 0; i_ < n_; i_++) {                                             \
			if (i_ == 0)                                                               \
				trace_put_u(b, r->items[0]);                                       \
			else                                                                       \
				trace_put_s(b, (int64_t)(r->items[i_] - r->items[i_ - 1]));        \
		}                                                                                  \
	}
#define TRACE_PUT_OPT_U(name)                                                                      \
	if (open_ && r->has_##name)                                                                \
		trace_put_u(b, r->name);                                                           \
	else                                                                                       \
		open_ = 0;
#define TRACE_PUT_(kind, ...) TRACE_PUT_##kind(__VA_ARGS__)

#define TRACE_ENC_FN_(num, TAG, name)                                                              \
	static inline void trace_enc_##name(trace_buf_t *b, const struct trace_rec_##name *r)      \
	{                                                                                          \
		size_t at_ = trace_rec_begin(b, TRACE_TAG_##TAG);                                  \
		int open_ = 1; /* no OPT_ field left out yet */                                    \
		(void)open_;                                                                       \
		TRACE_FIELDS_##name(TRACE_PUT_) trace_rec_end(b, at_);                             \
	}
TRACE_RECORDS(TRACE_ENC_FN_)
#undef TRACE_ENC_FN_

/* --- decoder ---------------------------------------------------------------------------- */

/* Per-record decoders: c the payload, r the record, st its list room. Return 0, or -1 with
 * *why set for a limit that has its own message; other faults set c->err or *bad_id. */
#define TRACE_GET_U(name) r->name = trace_get_u(c);
#define TRACE_GET_ID(name)                                                                         \
	r->name = trace_get_u(c);                                                                  \
	*bad_id |= r->name >= TRACE_ID_LIMIT;
#define TRACE_GET_S(name)          r->name = trace_get_s(c);
#define TRACE_GET_STR(name, max)   r->name.len = trace_get_bytes(c, &r->name.p, (max));
#define TRACE_GET_BYTES(name, max) r->name.len = trace_get_bytes(c, &r->name.p, (max));
/* Each argv string is read up to the general string limit (what the reader always took). */
#define TRACE_GET_ARGV(count, items)                                                               \
	{                                                                                          \
		uint64_t n_ = trace_get_u(c);                                                      \
		if (!c->err && n_ > TRACE_MAX_ARGC) {                                              \
			*why = "argc above 256";                                                   \
			return -1;                                                                 \
		}                                                                                  \
		r->count = c->err ? 0 : (uint32_t)n_;                                              \
		for (uint32_t i_ = 0; i_ < r->count && !c->err; i_++)                              \
			st->items[i_].len = trace_get_bytes(c, &st->items[i_].p, TRACE_MAX_STR);   \
		r->items = st->items;                                                              \
	}
#define TRACE_GET_FRAMES(count, items)                                                             \
	{                                                                                          \
		uint64_t n_ = trace_get_u(c);                                                      \
		if (!c->err && n_ > TRACE_MAX_FRAMES) {                                            \
			*why = "more than 256 frames";                                             \
			return -1;                                                                 \
		}                                                                                  \
		r->count = c->err ? 0 : (uint32_t)n_;                                              \
		uint64_t prev_ = 0;                                                                \
		for (uint32_t i_ = 0; i_ < r->count && !c->err; i_++) {                            \
			prev_ = i_ == 0 ? trace_get_u(c) : prev_ + (uint64_t)trace_get_s(c);       \
			st->items[i_] = prev_;                                                     \
		}                                                                                  \
		r->items = st->items;                                                              \
	}
#define TRACE_GET_OPT_U(name)                                                                      \
	r->has_##name = !c->err && c->p < c->end;                                                  \
	r->name = r->has_##name ? trace_get_u(c) : 0;
#define TRACE_GET_(kind, ...) TRACE_GET_##kind(__VA_ARGS__)

#define TRACE_DEC_FN_(num, TAG, name)                                                              \
	static inline int trace_dec_##name(trace_cur_t *c, struct trace_rec_##name *r,             \
	                                   struct trace_store_##name *st, int *bad_id,             \
	                                   const char **why)                                       \
	{                                                                                          \
		(void)st, (void)bad_id, (void)why;                                                 \
		TRACE_FIELDS_##name(TRACE_GET_) return 0;                                          \
	}
TRACE_RECORDS(TRACE_DEC_FN_)
#undef TRACE_DEC_FN_

/* Decodes the payload in c of a record with this tag into rec. Returns 0; 1 for a tag this
 * build does not know (the caller skips the record); -1 for a bad record, *why set to a
 * static reason. */
static inline int trace_decode(unsigned tag, trace_cur_t *c, struct trace_record *rec,
                               const char **why)
{
	int bad_id = 0;
	switch (tag) {
#define TRACE_DEC_CASE_(num, TAG, name)                                                            \
	case num:                                                                                  \
		rec->tag = TRACE_TAG_##TAG;                                                        \
		if (trace_dec_##name(c, &rec->u.name, &rec->store.name, &bad_id, why) != 0)        \
			return -1;                                                                 \
		break;
		TRACE_RECORDS(TRACE_DEC_CASE_)
#undef TRACE_DEC_CASE_
	default:
		return 1;
	}
	if (c->err) {
		*why = "fields missing or over the length limits";
		return -1;
	}
	if (bad_id) {
		*why = "id not below 2^32";
		return -1;
	}
	return 0;
}

#endif
