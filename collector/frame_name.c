/* SPDX-License-Identifier: MIT */
/* frame_name.c - see frame_name.h. The shortener walks the demangled text once, counting
 * bracket depth, so it never needs a parse tree: every <...> at any depth becomes "<...>"
 * except after the keyword operator (operator<, operator<<, operator->), where the brackets
 * are the name. The return type is what precedes the last space at bracket depth 0 before
 * the parameter list, unless that space follows "operator" (operator new, conversion
 * operators) or comes before template arguments (operator< <int>). */
#include "frame_name.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool ends_with_operator(const char *b, size_t n)
{
	if (n < 8 || memcmp(b + n - 8, "operator", 8) != 0)
		return false;
	char c = n > 8 ? b[n - 9] : ' ';
	return !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	         (c >= '0' && c <= '9'));
}

/* Copies full into buf with every template argument list elided. */
static size_t elide(const char *full, char *buf, size_t len)
{
	size_t o = 0;
	for (const char *p = full; *p && o + 1 < len;) {
		if (ends_with_operator(buf, o)) {
			/* The operator's own symbol: copy it as is. */
			if ((p[0] == '(' && p[1] == ')') || (p[0] == '[' && p[1] == ']')) {
				buf[o++] = *p++;
				if (o + 1 < len)
					buf[o++] = *p++;
				continue;
			}
			static const char *const ops[] = {"<<=", ">>=", "<=>", "->*", "<<", ">>",
			                                  "<=",  ">=",  "==",  "!=",  "&&", "||",
			                                  "++",  "--",  "->",  "+=",  "-=", "*=",
			                                  "/=",  "%=",  "^=",  "&=",  "|=", "<",
			                                  ">",   "+",   "-",   "*",   "/",  "%",
			                                  "^",   "&",   "|",   "~",   "!",  "=",
			                                  ","};
			size_t k = 0;
			for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && !k; i++) {
				if (strncmp(p, ops[i], strlen(ops[i])) == 0)
					k = strlen(ops[i]);
			}
			if (k) {
				for (size_t i = 0; i < k && o + 1 < len; i++)
					buf[o++] = p[i];
				p += k;
				continue;
			}
		}
		if (*p == '<') {
			int depth = 0;
			const char *q = p;
			for (; *q; q++) {
				if (*q == '<')
					depth++;
				else if (*q == '>' && --depth == 0)
					break;
			}
			if (!*q) { /* unbalanced: keep the rest */
				buf[o++] = *p++;
				continue;
			}
			for (const char *e = "<...>"; *e && o + 1 < len; e++)
				buf[o++] = *e;
			p = q + 1;
			continue;
		}
		if (strncmp(p, "std::__cxx11::", 14) == 0) {
			for (const char *e = "std::"; *e && o + 1 < len; e++)
				buf[o++] = *e;
			p += 14;
			continue;
		}
		buf[o++] = *p++;
	}
	buf[o] = '\0';
	return o;
}

/* Drops a leading return type: the text up to the last depth-0 space before the first
 * depth-0 '(' that opens the parameters. */
static void drop_return_type(char *buf)
{
	int depth = 0;
	char *cut = NULL;
	for (char *p = buf; *p; p++) {
		if (depth == 0 && *p == '(' && strncmp(p, "(anonymous namespace)", 21) == 0) {
			p += 20;
			continue;
		}
		if (depth == 0 && *p == '(' &&
		    !(p > buf && ends_with_operator(buf, (size_t)(p - buf))))
			break;
		if (*p == '(' || *p == '[' || *p == '{')
			depth++;
		else if ((*p == ')' || *p == ']' || *p == '}') && depth > 0)
			depth--;
		else if (depth == 0 && *p == ' ' && p[1] != '<' &&
		         !ends_with_operator(buf, (size_t)(p - buf)))
			cut = p + 1;
	}
	if (cut)
		memmove(buf, cut, strlen(cut) + 1);
}

/* A name still longer than FRAME_NAME_LONG after elision keeps its parameter list as "(...)"
 * (what follows it, " const", stays). */
#define FRAME_NAME_LONG 120

static void elide_params(char *buf, size_t longer_than)
{
	if (strlen(buf) <= longer_than)
		return;
	int depth = 0;
	char *open = NULL;
	for (char *p = buf; *p; p++) {
		if (!open && *p == '(' && strncmp(p, "(anonymous namespace)", 21) == 0) {
			p += 20;
			continue;
		}
		if (*p == '(' && !open && !(p > buf && ends_with_operator(buf, (size_t)(p - buf))))
			open = p;
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0 && --depth == 0 && open) {
			if (p - open > 4) {
				memcpy(open, "(...)", 5);
				memmove(open + 5, p + 1, strlen(p + 1) + 1);
			}
			return;
		}
	}
}

char *frame_name_short(const char *full, char *buf, size_t len)
{
	if (!len)
		return buf;
	buf[0] = '\0';
	if (!full)
		return buf;
	if (full[0] == '<' || strstr(full, ".<")) {
		/* A Python qualified name (<module>, f.<locals>.g, <lambda>): no C++ to shorten. */
		snprintf(buf, len, "%s", full);
		return buf;
	}
	elide(full, buf, len);
	drop_return_type(buf);
	elide_params(buf, FRAME_NAME_LONG);
	return buf;
}

char *frame_name_compact(const char *full, char *buf, size_t len)
{
	frame_name_short(full, buf, len);
	elide_params(buf, 0);
	return buf;
}

static const char *base_name(const char *path)
{
	const char *b = path ? strrchr(path, '/') : NULL;
	return b ? b + 1 : path;
}

bool frame_name_is_library(const struct sym_frame *f)
{
	static const char *const modules[] = {"libc.so",  "libc-",    "libstdc++", "libc++",
	                                      "ld-linux", "libgcc_s", "libm.so"};
	const char *m = f->module ? base_name(f->module) : NULL;
	for (size_t k = 0; m && k < sizeof(modules) / sizeof(modules[0]); k++) {
		if (strncmp(m, modules[k], strlen(modules[k])) == 0)
			return true;
	}
	const char *fn = f->function;
	if (!fn)
		return false;
	if (strncmp(fn, "operator new", 12) == 0 || strncmp(fn, "operator delete", 15) == 0)
		return true;
	/* Inlined standard-library code, with or without a return type in front. */
	char shortbuf[256];
	const char *s = frame_name_short(fn, shortbuf, sizeof(shortbuf));
	if (strncmp(s, "std::", 5) == 0 || strncmp(s, "__gnu_cxx::", 11) == 0 ||
	    strncmp(s, "__cxxabiv1::", 12) == 0)
		return true;
	return f->path && strncmp(f->path, "/usr/include/", 13) == 0;
}

/* A native frame of the interpreter itself: Python's (python3.11, libpython3.11.so.1.0) or
 * node's (V8, libuv and node's own code, in node or libnode.so). */
static bool frame_is_interp(const struct sym_frame *f)
{
	const char *m = f->module ? base_name(f->module) : NULL;
	return !f->python && !f->js && m &&
	       (strncmp(m, "python", 6) == 0 || strncmp(m, "libpython", 9) == 0 ||
	        strcmp(m, "node") == 0 || strncmp(m, "libnode", 7) == 0);
}

size_t frame_name_first_user(const struct sym_stack *st)
{
	/* Python or JavaScript code: the interpreter's and the runtime's frames above the
	 * innermost Python or JavaScript frame (socket.__init__ under three anonymous ceval
	 * frames, Server.listen under libuv's and V8's) say nothing about whose code this is. A
	 * native frame of any other module before it (a C extension, a native addon) is the
	 * user's and stops the search. */
	for (size_t i = 0; i < st->n; i++) {
		const struct sym_frame *f = &st->frames[i];
		if ((f->python || f->js) && f->function)
			return i;
		if (!frame_is_interp(f) && !frame_name_is_library(f))
			break;
	}
	for (size_t i = 0; i < st->n; i++) {
		if (!frame_name_is_library(&st->frames[i]))
			return i;
	}
	return 0;
}

/* Length of the valid UTF-8 sequence at p that is not a C1 control, or 0. */
static size_t utf8_ok(const unsigned char *p)
{
	unsigned c = p[0];
	size_t len = c >= 0xc2 && c <= 0xdf   ? 2
	             : c >= 0xe0 && c <= 0xef ? 3
	             : c >= 0xf0 && c <= 0xf4 ? 4
	                                      : 0;
	uint32_t cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 2 && cp < 0xa0) ||
	    (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

const char *frame_name_escape(const char *s, char *buf, size_t len)
{
	if (!s)
		return s;
	const unsigned char *p = (const unsigned char *)s;
	bool any = false;
	while (*p && !any) {
		size_t k = *p < 0x80 ? 1 : utf8_ok(p);
		any = *p < 0x20 || *p == 0x7f || !k;
		p += k ? k : 1;
	}
	if (!any || len < 5)
		return s;
	size_t o = 0;
	for (p = (const unsigned char *)s; *p && o + 5 < len;) {
		size_t k = *p < 0x80 ? 1 : utf8_ok(p);
		if (*p == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (*p == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (*p < 0x20 || *p == 0x7f || !k) {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", *p);
			k = 1;
		} else if (o + k + 1 < len) {
			memcpy(buf + o, p, k);
			o += k;
		} else {
			break;
		}
		p += k ? k : 1;
		if (k > 1)
			continue;
	}
	buf[o] = '\0';
	return buf;
}
