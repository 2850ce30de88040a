/* SPDX-License-Identifier: MIT */
/* model_js.c - the V8 code ranges of a node process (JS_CODE records, docs/FORMAT.md) and the
 * JavaScript function naming a frame. A name is V8's perf map text: "JS:~fn /path/a.js:3:24"
 * (a kind, then ~ interpreted, ^ baseline, + maglev, * optimized), older V8's
 * "LazyCompile:*fn file:3:24", or a stub such as "Builtin:ArrayMap". A frame is named only
 * when the ranges covering it all name one function at one tier: otherwise V8 reused the
 * address of collected code for other code, and which of them ran at the event is unknown. */
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "model.h"

/* Splits text into function, path and line (the column is dropped). */
static int parse_name(struct model_jscode *c, const char *s, size_t len)
{
	const char *end = s + len;
	const char *colon = memchr(s, ':', len);
	const char *sp = memchr(s, ' ', len);
	if (colon && (!sp || colon < sp)) { /* the kind, "JS:" or "LazyCompile:" */
		size_t kl = (size_t)(colon - s);
		c->stub = !((kl == 2 && !memcmp(s, "JS", 2)) ||
		            (kl == 11 && !memcmp(s, "LazyCompile", 11)) ||
		            (kl == 8 && !memcmp(s, "Function", 8)) ||
		            (kl == 6 && !memcmp(s, "Script", 6)));
		s = colon + 1;
	}
	if (s < end && strchr("~^+*-", *s)) {
		c->tier = *s == '~'   ? "interpreted"
		          : *s == '^' ? "baseline"
		          : *s == '+' ? "maglev"
		          : *s == '*' ? "optimized"
		                      : NULL;
		s++;
	}
	/* " file:line:col" at the end, after the last space. */
	const char *last = NULL;
	for (const char *p = s; p < end; p++)
		if (*p == ' ')
			last = p;
	const char *fn_end = end;
	if (last) {
		/* "path:line:col" or "path:line": the numbers after the last one or two colons */
		const char *t = last + 1, *cut = NULL;
		int nums = 0, line = 0;
		const char *q = end;
		while (nums < 2) {
			const char *d = q;
			while (d > t && d[-1] >= '0' && d[-1] <= '9')
				d--;
			if (d == q || d == t || d[-1] != ':' || q - d > 9)
				break;
			line = 0;
			for (const char *x = d; x < q; x++)
				line = line * 10 + (*x - '0');
			cut = d - 1;
			q = d - 1;
			nums++;
		}
		if (nums && cut > t) {
			c->line = line; /* the first number: col comes last */
			size_t pl = (size_t)(cut - t);
			c->path = malloc(pl + 1);
			if (!c->path)
				return -1;
			memcpy(c->path, t, pl);
			c->path[pl] = 0;
			fn_end = last;
		}
	}
	size_t fl = (size_t)(fn_end - s);
	const char *anon = "(anonymous)";
	if (!fl) {
		s = anon;
		fl = strlen(anon);
	}
	c->function = malloc(fl + 1);
	if (!c->function)
		return -1;
	memcpy(c->function, s, fl);
	c->function[fl] = 0;
	return 0;
}

int model_js_apply(struct model_proc *p, const struct trace_record *r)
{
	const struct trace_rec_js_code *j = &r->u.js_code;
	if (!j->size || j->start + j->size < j->start)
		return 0;
	for (uint32_t i = 0; i < p->n_jscodes; i++) { /* the same line again: kept once */
		const struct model_jscode *o = &p->jscodes[i];
		if (o->start == j->start && o->size == j->size && o->text_len == j->name.len &&
		    !memcmp(o->text, j->name.p, j->name.len))
			return 0;
	}
	if (array_grow((void **)&p->jscodes, &p->cap_jscodes, (size_t)p->n_jscodes + 1,
	               sizeof(*p->jscodes)) != 0)
		return -1;
	struct model_jscode *c = &p->jscodes[p->n_jscodes];
	memset(c, 0, sizeof(*c));
	c->start = j->start;
	c->size = j->size;
	c->text = malloc(j->name.len + 1);
	if (!c->text)
		return -1;
	if (j->name.len)
		memcpy(c->text, j->name.p, j->name.len);
	c->text[j->name.len] = 0;
	c->text_len = j->name.len;
	if (parse_name(c, c->text, c->text_len) != 0) {
		free(c->text);
		free(c->path);
		free(c->function);
		return -1;
	}
	const char *slash = c->path ? strrchr(c->path, '/') : NULL;
	c->file = slash ? slash + 1 : c->path;
	p->n_jscodes++;
	return 0;
}

void model_js_free(struct model_proc *p)
{
	for (uint32_t i = 0; i < p->n_jscodes; i++) {
		free(p->jscodes[i].text);
		free(p->jscodes[i].function);
		free(p->jscodes[i].path);
	}
	free(p->jscodes);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Two ranges that name the same function at the same tier: whichever ran, the name is right. */
static bool same_function(const struct model_jscode *a, const struct model_jscode *b)
{
	return a->line == b->line && a->stub == b->stub && same_str(a->function, b->function) &&
	       same_str(a->path, b->path) && same_str(a->tier, b->tier);
}

const struct model_jscode *model_proc_jscode(const struct model_proc *p, uint64_t addr)
{
	const struct model_jscode *one = NULL;
	uint64_t at = addr - 1; /* a return address: the call is before it */
	for (uint32_t i = 0; i < p->n_jscodes; i++) {
		const struct model_jscode *c = &p->jscodes[i];
		if (at - c->start >= c->size)
			continue;
		/* Two codes here at different times: which one ran is unknown. */
		if (one && !same_function(one, c))
			return NULL;
		if (!one)
			one = c;
	}
	return one;
}
