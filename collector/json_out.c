/* SPDX-License-Identifier: MIT */
/* json_out.c - see json_out.h. Arrays of scalars stay on one line ("fds": [3, 4]); objects
 * and arrays of objects are broken over lines, which keeps reports readable with less. */
#include "json_out.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void json_out_init(struct json_out *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->has_items[0] = false;
	j->after_key = false;
}

static void indent(struct json_out *j)
{
	fputc('\n', j->f);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Separator before a value (or key) at the current level. */
static void before_value(struct json_out *j, bool newline)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (j->has_items[j->depth])
		fputc(',', j->f);
	if (newline)
		indent(j);
	else if (j->has_items[j->depth])
		fputc(' ', j->f);
	j->has_items[j->depth] = true;
}

static void open_level(struct json_out *j, char c)
{
	before_value(j, true);
	fputc(c, j->f);
	if (j->depth < JSON_OUT_MAX_DEPTH - 1)
		j->depth++;
	j->has_items[j->depth] = false;
}

static void close_level(struct json_out *j, char c, bool newline)
{
	bool had = j->has_items[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (had && newline)
		indent(j);
	fputc(c, j->f);
	if (j->depth == 0)
		fputc('\n', j->f);
}

void json_out_begin_object(struct json_out *j)
{
	open_level(j, '{');
}

void json_out_end_object(struct json_out *j)
{
	close_level(j, '}', true);
}

void json_out_begin_array(struct json_out *j)
{
	open_level(j, '[');
}

void json_out_end_array(struct json_out *j)
{
	close_level(j, ']', false);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static void write_escaped(struct json_out *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', j->f);
	for (size_t i = 0; i < n;) {
		unsigned c = s[i];
		if (c == '"' || c == '\\') {
			fputc('\\', j->f);
			fputc((int)c, j->f);
		} else if (c == '\n') {
			fputs("\\n", j->f);
		} else if (c == '\t') {
			fputs("\\t", j->f);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(j->f, "\\u%04x", c);
		} else if (c >= 0x80) {
			size_t len = utf8_len(s + i, n - i);
			if (!len) {
				fputs("\\ufffd", j->f);
				i++;
				continue;
			}
			fwrite(s + i, 1, len, j->f);
			i += len;
			continue;
		} else {
			fputc((int)c, j->f);
		}
		i++;
	}
	fputc('"', j->f);
}

void json_out_str_n(struct json_out *j, const char *s, size_t n)
{
	before_value(j, false);
	write_escaped(j, s, n);
}

void json_out_key(struct json_out *j, const char *name)
{
	before_value(j, true); /* members start a new line */
	write_escaped(j, name, strlen(name));
	fputs(": ", j->f);
	j->after_key = true;
}

void json_out_str(struct json_out *j, const char *s)
{
	if (!s)
		json_out_null(j);
	else
		json_out_str_n(j, s, strlen(s));
}

void json_out_u64(struct json_out *j, uint64_t v)
{
	before_value(j, false);
	fprintf(j->f, "%" PRIu64, v);
}

void json_out_i64(struct json_out *j, int64_t v)
{
	before_value(j, false);
	fprintf(j->f, "%" PRId64, v);
}

void json_out_double(struct json_out *j, double v, int decimals)
{
	before_value(j, false);
	if (isfinite(v))
		fprintf(j->f, "%.*f", decimals, v);
	else
		fputs("null", j->f);
}

void json_out_bool(struct json_out *j, bool v)
{
	before_value(j, false);
	fputs(v ? "true" : "false", j->f);
}

void json_out_null(struct json_out *j)
{
	before_value(j, false);
	fputs("null", j->f);
}

void json_out_hex(struct json_out *j, uint64_t v)
{
	before_value(j, false);
	fprintf(j->f, "\"0x%" PRIx64 "\"", v);
}
