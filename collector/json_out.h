/* SPDX-License-Identifier: MIT */
/* json_out.h - a small streaming JSON writer to a FILE*: it tracks commas and nesting, so
 * callers only say what comes next, and it escapes strings, which come from traces and may
 * hold any bytes (invalid UTF-8 becomes U+FFFD, so the output always parses). Output is
 * indented by two spaces per level. Write errors show up in ferror() of the FILE. */
#ifndef LEAK_COLLECTOR_JSON_OUT_H
#define LEAK_COLLECTOR_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_OUT_MAX_DEPTH 32

struct json_out {
	FILE *f;
	int depth;
	bool has_items[JSON_OUT_MAX_DEPTH]; /* a value was written at this level */
	bool after_key;
};

void json_out_init(struct json_out *j, FILE *f);
void json_out_begin_object(struct json_out *j);
void json_out_end_object(struct json_out *j);
void json_out_begin_array(struct json_out *j);
void json_out_end_array(struct json_out *j);
/* Object member name; the next call writes its value. */
void json_out_key(struct json_out *j, const char *name);
void json_out_str(struct json_out *j, const char *s); /* NULL writes null */
void json_out_str_n(struct json_out *j, const char *s, size_t n);
void json_out_u64(struct json_out *j, uint64_t v);
void json_out_i64(struct json_out *j, int64_t v);
void json_out_double(struct json_out *j, double v, int decimals);
void json_out_bool(struct json_out *j, bool v);
void json_out_null(struct json_out *j);
void json_out_hex(struct json_out *j, uint64_t v); /* the string "0x..." */

#endif
