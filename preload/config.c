/* SPDX-License-Identifier: MIT */
/* config.c - the LEAK_* settings table and its one reader. Rules: every LEAK_* variable libleak
 * reads is a row here, with its bounds and default (README's LEAK_* table lists the same);
 * values are parsed by hand after getenv, which does not allocate, so nothing here touches
 * malloc or stdio (the constructor runs before the host's main, possibly before its own
 * allocator is ready). A bad value gets one line on stderr and the default.
 * Sizes (lk_cfg_size) and booleans (lk_cfg_bool) follow the same rules as the collector's
 * option parser (collector/parse.c, which this library cannot link): a decimal with an
 * optional k, m or g binary suffix in any case; 1/0, yes/no, true/false, on/off in any case.
 * Change both or neither (tests/unit/collector/test_parse.c and test_input_checks.sh). */
#include "config.h"
#include "log.h"
#include "sys.h"
#include "unwind.h"

#include <stdlib.h>
#include <string.h>

typedef enum {
	LK_CFG_UINT, /* a decimal in [lo, hi] */
	LK_CFG_WORD, /* one of words[]; the value is its index */
	LK_CFG_TEXT, /* a non-empty string shorter than the field; empty = unset */
	LK_CFG_BOOL, /* 1/0, yes/no, true/false, on/off (any case) */
	LK_CFG_SIZE, /* bytes in [lo, hi], with an optional k, m or g (binary) suffix */
} lk_cfg_kind_t;

typedef struct {
	const char *name;
	lk_cfg_kind_t kind;
	uint64_t lo, hi, dflt;    /* UINT: bounds and default; WORD: default index */
	const char *const *words; /* WORD: the accepted values, NULL-terminated */
	const char *dflt_text;    /* TEXT: default */
	size_t offset, size;      /* the field of lk_config */
} lk_cfg_row_t;

static const char *const lk_unwind_words[] = {"dwarf", "fp", "libunwind", NULL};
_Static_assert(LK_UNWIND_DWARF == 0 && LK_UNWIND_FP == 1 && LK_UNWIND_LIBUNWIND == 2,
               "lk_unwind_words is indexed by lk_unwind_mode_t");

#define LK_FIELD(f) offsetof(lk_config_t, f), sizeof(((lk_config_t *)0)->f)

/* clang-format off */
static const lk_cfg_row_t lk_cfg_rows[] = {
	/* name              kind            lo  hi        default          words             text default        field */
	{"LEAK_DISABLE",     LK_CFG_BOOL,    0,  1,        0,               NULL,             NULL,               LK_FIELD(disable)},
	{"LEAK_OUT",         LK_CFG_TEXT,    0,  0,        0,               NULL,             "./leak.%e.%p.lkt", LK_FIELD(out_pattern)},
	{"LEAK_DEPTH",       LK_CFG_UINT,    1,  256,      64,              NULL,             NULL,               LK_FIELD(depth)},
	{"LEAK_INTERVAL_MS", LK_CFG_UINT,    10, 3600000,  1000,            NULL,             NULL,               LK_FIELD(interval_ms)},
	{"LEAK_FOLLOW_FORK", LK_CFG_BOOL,    0,  1,        1,               NULL,             NULL,               LK_FIELD(follow_fork)},
	{"LEAK_SAMPLE",      LK_CFG_SIZE,    0,  1u << 30, 0,               NULL,             NULL,               LK_FIELD(sample_bytes)},
	{"LEAK_UNWIND",      LK_CFG_WORD,    0,  2,        LK_UNWIND_DWARF, lk_unwind_words,  NULL,               LK_FIELD(unwind)},
	{"LEAK_VERSION",     LK_CFG_BOOL,    0,  1,        0,               NULL,             NULL,               LK_FIELD(version)},
	{"LEAK_EXECED_FROM", LK_CFG_UINT,    1,  1u << 22, 0,               NULL,             NULL,               LK_FIELD(execed_from)},
	{"LEAK_PYTHON",      LK_CFG_UINT,    0,  1,        1,               NULL,             NULL,               LK_FIELD(python)},
	{"LEAK_PYTHONMALLOC", LK_CFG_UINT,   0,  1,        1,               NULL,             NULL,               LK_FIELD(python_malloc)},
	{"LEAK_NODE",        LK_CFG_UINT,    0,  1,        1,               NULL,             NULL,               LK_FIELD(node)},
	{"LEAK_PYTHON_TEST_VERSION", LK_CFG_UINT, 0, 399,  0,               NULL,             NULL,               LK_FIELD(python_test_version)},
};
/* clang-format on */

lk_config_t lk_config;

/* Stores v into a bool, uint8_t, uint32_t or uint64_t field (values fit: bounds above). */
static void lk_cfg_store(const lk_cfg_row_t *row, uint64_t v)
{
	char *f = (char *)&lk_config + row->offset;
	if (row->size == 1) {
		uint8_t x = (uint8_t)v;
		memcpy(f, &x, 1);
	} else if (row->size == 4) {
		uint32_t x = (uint32_t)v;
		memcpy(f, &x, 4);
	} else {
		memcpy(f, &v, 8);
	}
}

/* Parses a decimal in [lo, hi] into *v; -1 on anything else. */
static int lk_cfg_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	uint64_t x = 0;
	const char *p = s;
	while (*p >= '0' && *p <= '9' && x <= hi)
		x = x * 10 + (uint64_t)(*p++ - '0');
	if (p == s || *p || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

/* ASCII lower case of the first len bytes of a and b compare equal. */
static bool lk_cfg_word_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		if (x != *b)
			return false;
	}
	return !*a && !*b;
}

/* A boolean word into *v; -1 on anything else. */
static int lk_cfg_bool(const char *s, uint64_t *v)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};
	for (size_t i = 0; i < 4; i++) {
		if (lk_cfg_word_eq(s, yes[i]) || lk_cfg_word_eq(s, no[i])) {
			*v = lk_cfg_word_eq(s, yes[i]);
			return 0;
		}
	}
	return -1;
}

/* A decimal with an optional k/m/g suffix (binary, any case) in [lo, hi]; -1 on else. */
static int lk_cfg_size(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	uint64_t x = 0;
	const char *p = s;
	while (*p >= '0' && *p <= '9' && x <= hi)
		x = x * 10 + (uint64_t)(*p++ - '0');
	if (p == s)
		return -1;
	unsigned shift = 0;
	if (*p) {
		char c = (char)(*p | 0x20);
		shift = c == 'k' ? 10 : c == 'm' ? 20 : c == 'g' ? 30 : 99;
		if (shift == 99 || p[1])
			return -1;
	}
	if (x > (hi >> shift))
		return -1;
	x <<= shift;
	if (x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

/* "libleak: NAME=VALUE is not ALLOWED; using DEFAULT" */
static void lk_cfg_warn(const lk_cfg_row_t *row, const char *value)
{
	char lo[21], hi[21], dflt[21], allowed[160];
	size_t n = 0;
	const char *use = dflt;
	if (row->kind == LK_CFG_WORD) {
		memcpy(allowed, "one of ", 7);
		n = 7;
		for (int i = 0; row->words[i]; i++) {
			size_t k = strlen(row->words[i]);
			if (n + k + 3 >= sizeof(allowed))
				break;
			if (i) {
				memcpy(allowed + n, ", ", 2);
				n += 2;
			}
			memcpy(allowed + n, row->words[i], k);
			n += k;
		}
		allowed[n] = 0;
		use = row->words[row->dflt];
	} else if (row->kind == LK_CFG_BOOL) {
		static const char b[] = "a boolean (1, 0, yes, no, true, false, on, off)";
		memcpy(allowed, b, sizeof(b));
		use = row->dflt ? "1" : "0";
	} else if (row->kind == LK_CFG_TEXT) {
		memcpy(allowed, "a path shorter than 4096 bytes", 31);
		use = row->dflt_text;
	} else {
		lo[lk_fmt_u64(lo, row->lo)] = 0;
		hi[lk_fmt_u64(hi, row->hi)] = 0;
		memcpy(allowed, "in ", 3);
		n = 3;
		size_t k = strlen(lo);
		memcpy(allowed + n, lo, k);
		n += k;
		memcpy(allowed + n, "..", 2);
		n += 2;
		k = strlen(hi);
		memcpy(allowed + n, hi, k + 1);
		if (row->kind == LK_CFG_SIZE) {
			static const char sfx[] = " bytes (suffix k, m or g allowed)";
			memcpy(allowed + n + k, sfx, sizeof(sfx));
		}
		dflt[lk_fmt_u64(dflt, row->dflt)] = 0;
	}
	const char *parts[] = {"libleak: ", row->name, "=",        value,
	                       " is not ",  allowed,   "; using ", use};
	lk_log_line(parts, sizeof(parts) / sizeof(parts[0]));
}

static void lk_cfg_read(const lk_cfg_row_t *row)
{
	const char *s = getenv(row->name);
	uint64_t v = row->dflt;
	switch (row->kind) {
	case LK_CFG_UINT:
		if (s && lk_cfg_uint(s, row->lo, row->hi, &v) < 0) {
			lk_cfg_warn(row, s);
			v = row->dflt;
		}
		break;
	case LK_CFG_WORD:
		if (s) {
			uint64_t i = 0;
			while (row->words[i] && strcmp(row->words[i], s) != 0)
				i++;
			if (row->words[i])
				v = i;
			else
				lk_cfg_warn(row, s);
		}
		break;
	case LK_CFG_BOOL:
		if (s && lk_cfg_bool(s, &v) < 0) {
			lk_cfg_warn(row, s);
			v = row->dflt;
		}
		break;
	case LK_CFG_SIZE:
		if (s && lk_cfg_size(s, row->lo, row->hi, &v) < 0) {
			lk_cfg_warn(row, s);
			v = row->dflt;
		}
		break;
	case LK_CFG_TEXT: {
		char *f = (char *)&lk_config + row->offset;
		size_t len = s ? strlen(s) : 0;
		if (len >= row->size) {
			lk_cfg_warn(row, "(too long)");
			len = 0;
		}
		if (len)
			memcpy(f, s, len + 1);
		else
			memcpy(f, row->dflt_text, strlen(row->dflt_text) + 1);
		return;
	}
	}
	lk_cfg_store(row, v);
}

void lk_config_init(void)
{
	for (size_t i = 0; i < sizeof(lk_cfg_rows) / sizeof(lk_cfg_rows[0]); i++)
		lk_cfg_read(&lk_cfg_rows[i]);
}

void lk_config_defaults(void)
{
	for (size_t i = 0; i < sizeof(lk_cfg_rows) / sizeof(lk_cfg_rows[0]); i++) {
		const lk_cfg_row_t *row = &lk_cfg_rows[i];
		if (row->kind == LK_CFG_TEXT)
			memcpy((char *)&lk_config + row->offset, row->dflt_text,
			       strlen(row->dflt_text) + 1);
		else
			lk_cfg_store(row, row->dflt);
	}
}
