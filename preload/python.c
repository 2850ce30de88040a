/* SPDX-License-Identifier: MIT */
/* python.c - the Python frames of a CPython process, read as plain memory.
 *
 * Detection (constructor): _PyRuntime, _PyEval_EvalFrameDefault and the type objects are
 * looked up by symbol (dlsym: the python executable exports them, as does a libpython already
 * mapped), and the version (Py_Version, else the file name of the module that holds
 * _PyRuntime) picks a layout from lk_py_layouts. Only a known layout turns the merge on;
 * any other version gets one line and native stacks.
 *
 * Capture (any thread, inside a hook): the calling thread's PyThreadState is the runtime's
 * current one if it belongs to this thread (the thread holds the GIL), else the one the
 * interpreter keeps in its thread-specific key (a thread that released the GIL around a
 * system call: socket(), open(), connect(), waitpid()). Its frame chain (cframe->current_frame,
 * then ->previous) is walked innermost first. In 3.11 one native activation of
 * _PyEval_EvalFrameDefault runs Python frames up to and including one whose is_entry is set,
 * so each such native frame is replaced by that run of Python frames: native frames of C
 * extensions and of the interpreter stay where they are. No C-API call, no GIL, no reference
 * count, no allocation: only loads of this thread's own frames and of the code objects they
 * hold alive, each code object checked to be one (its type is PyCode_Type) before its first
 * use (a per-thread memo remembers it under its identity); the chain is bounded; a check that
 * fails leaves the native stack as it was.
 *
 * Naming: a code object is interned once into the code table (lock-free lookup by address,
 * checked against the name and line-table objects it points at, since a freed code object's
 * address is reused), copying its qualified name, file name, line table and first line into
 * libleak's memory, so a code object freed later still names its frames. The writer emits
 * each as a PY_CODE record; the collector turns (code id, instruction offset) into a line. */
#include "fork_hot.h"
#include "python.h"
#include "config.h"
#include "elf_dynsym.h"
#include "log.h"
#include "modules.h"
#include "spin.h"
#include "stack_table.h"
#include "sys.h"
#include "trace_codec.h"
#include "writer.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- layouts */

/* Offsets (bytes) of what the walk reads, per interpreter version, measured from each
 * version's internal headers (Include/internal/pycore_frame.h, pycore_runtime.h,
 * cpython/code.h, cpython/unicodeobject.h) on x86-64 (how: docs/DESIGN.md, "Python").
 * What changed between them:
 * - 3.11: the runtime keeps the GIL holder's thread state (tstate_current); a frame ends the
 *   run of one evaluation-loop activation when its is_entry is set.
 * - 3.12: the thread state is a C thread-local (not readable from here), so it is taken from
 *   the interpreter's thread-specific key (autoTSSkey), which every thread that ran Python has;
 *   an activation pushes an entry frame owned by the C stack (FRAME_OWNED_BY_CSTACK) under its
 *   frames instead of is_entry; strings lost their wstr fields.
 * - 3.13: tstate->current_frame without the _PyCFrame; f_code became f_executable and
 *   prev_instr instr_ptr (same offsets, same arithmetic). 3.13 publishes most offsets in
 *   _PyRuntime.debug_offsets (_Py_DebugOffsets, cookie "xdebugpy"): they are read from the
 *   process and must agree with this row, or the build is not the one measured (a
 *   free-threaded build, another patch level that moved a field) and gets native stacks.
 * The location table (co_linetable) has one format in 3.11-3.13 (Objects/locations.md). */
enum {
	LK_PYL_TSTATE_CURRENT = 1, /* rt_tstate_current is the GIL holder's thread state */
	LK_PYL_CFRAME = 2,         /* frame = tstate->cframe->current_frame, else tstate->X */
	LK_PYL_ENTRY_OWNER = 4,    /* runs end at a C-stack-owned entry frame, else is_entry */
	LK_PYL_DEBUG_OFFSETS = 8,  /* _PyRuntime starts with _Py_DebugOffsets: check them */
};

typedef struct {
	uint16_t version; /* 0x030b: 3.11 */
	uint16_t flags;   /* LK_PYL_* */
	/* _PyRuntimeState */
	uint16_t rt_finalizing, rt_tstate_current, rt_tss_key;
	/* PyThreadState, _PyCFrame (ts_cframe: the current frame itself without LK_PYL_CFRAME) */
	uint16_t ts_cframe, ts_thread_id, cf_current_frame;
	/* _PyInterpreterFrame */
	uint16_t fr_code, fr_previous, fr_prev_instr, fr_is_entry, fr_owner;
	/* PyCodeObject */
	uint16_t co_firstlineno, co_filename, co_qualname, co_linetable, co_firsttraceable, co_code;
	/* PyBytesObject, PyASCIIObject, PyCompactUnicodeObject */
	uint16_t bytes_size, bytes_data, str_length, str_state, str_ascii_data, str_utf8_len,
	    str_utf8, str_compact_data;
	uint8_t owner_generator, owner_cstack; /* FRAME_OWNED_BY_GENERATOR, _CSTACK */
} lk_py_layout_t;

static const lk_py_layout_t lk_py_layouts[] = {
    {
        .version = 0x030b,
        .flags = LK_PYL_TSTATE_CURRENT | LK_PYL_CFRAME,
        .rt_finalizing = 24,
        .rt_tstate_current = 576,
        .rt_tss_key = 592, /* Py_tss_t: int _is_initialized; pthread_key_t _key */
        .ts_cframe = 56,
        .ts_thread_id = 152,
        .cf_current_frame = 8,
        .fr_code = 32,
        .fr_previous = 48,
        .fr_prev_instr = 56,
        .fr_is_entry = 68,
        .fr_owner = 69,
        .co_firstlineno = 72,
        .co_filename = 112,
        .co_qualname = 128,
        .co_linetable = 136,
        .co_firsttraceable = 168,
        .co_code = 184,
        .bytes_size = 16,
        .bytes_data = 32,
        .str_length = 16,
        .str_state = 32,
        .str_ascii_data = 48,
        .str_utf8_len = 48,
        .str_utf8 = 56,
        .str_compact_data = 72,
        .owner_generator = 1,
        .owner_cstack = 0xff, /* none */
    },
    {
        .version = 0x030c,
        .flags = LK_PYL_CFRAME | LK_PYL_ENTRY_OWNER,
        .rt_finalizing = 24,
        .rt_tss_key = 1544,
        .ts_cframe = 56,
        .ts_thread_id = 136,
        .cf_current_frame = 0,
        .fr_code = 0,
        .fr_previous = 8,
        .fr_prev_instr = 56,
        .fr_owner = 70,
        .co_firstlineno = 68,
        .co_filename = 112,
        .co_qualname = 128,
        .co_linetable = 136,
        .co_firsttraceable = 176,
        .co_code = 192,
        .bytes_size = 16,
        .bytes_data = 32,
        .str_length = 16,
        .str_state = 32,
        .str_ascii_data = 40,
        .str_utf8_len = 40,
        .str_utf8 = 48,
        .str_compact_data = 56,
        .owner_generator = 1,
        .owner_cstack = 3,
    },
    {
        .version = 0x030d,
        .flags = LK_PYL_ENTRY_OWNER | LK_PYL_DEBUG_OFFSETS,
        .rt_finalizing = 608,
        .rt_tss_key = 2160,
        .ts_cframe = 72, /* current_frame */
        .ts_thread_id = 152,
        .fr_code = 0, /* f_executable */
        .fr_previous = 8,
        .fr_prev_instr = 56, /* instr_ptr */
        .fr_owner = 70,
        .co_firstlineno = 68,
        .co_filename = 112,
        .co_qualname = 128,
        .co_linetable = 136,
        .co_firsttraceable = 184,
        .co_code = 200,
        .bytes_size = 16,
        .bytes_data = 32,
        .str_length = 16,
        .str_state = 32,
        .str_ascii_data = 40,
        .str_utf8_len = 40,
        .str_utf8 = 48,
        .str_compact_data = 56,
        .owner_generator = 1,
        .owner_cstack = 3,
    },
};

/* _Py_DebugOffsets (3.13's Include/internal/pycore_runtime.h), the part read here: every
 * field a uint64_t, in this order, at the start of _PyRuntime. */
typedef struct {
	char cookie[8];
	uint64_t version, free_threaded;
	uint64_t rt_size, rt_finalizing, rt_interpreters_head;
	uint64_t is[13]; /* interpreter_state: not used */
	uint64_t ts_size, ts_prev, ts_next, ts_interp, ts_current_frame, ts_thread_id,
	    ts_native_thread_id, ts_datastack_chunk, ts_status;
	uint64_t fr_size, fr_previous, fr_executable, fr_instr_ptr, fr_localsplus, fr_owner;
	uint64_t co_size, co_filename, co_name, co_qualname, co_linetable, co_firstlineno,
	    co_argcount, co_localsplusnames, co_localspluskinds, co_code_adaptive;
	uint64_t ob_size_, ob_type;
} lk_py_debug_offsets_t;

/* Whether the debug offsets at rt (3.13+) are those of layout L: the cookie, the version's
 * major and minor, a build with the GIL, and every offset both know equal. */
static bool lk_py_debug_offsets_match(const void *rt, const lk_py_layout_t *L)
{
	lk_py_debug_offsets_t d;
	memcpy(&d, rt, sizeof(d));
	return memcmp(d.cookie, "xdebugpy", 8) == 0 && (d.version >> 16 & 0xffff) == L->version &&
	       d.free_threaded == 0 && d.rt_finalizing == L->rt_finalizing &&
	       d.ts_current_frame == L->ts_cframe && d.ts_thread_id == L->ts_thread_id &&
	       d.fr_previous == L->fr_previous && d.fr_executable == L->fr_code &&
	       d.fr_instr_ptr == L->fr_prev_instr && d.fr_owner == L->fr_owner &&
	       d.co_filename == L->co_filename && d.co_qualname == L->co_qualname &&
	       d.co_linetable == L->co_linetable && d.co_firstlineno == L->co_firstlineno &&
	       d.co_code_adaptive == L->co_code && d.ob_type == 8;
}

/* ---------------------------------------------------------------- state */

int lk_py_active;
int lk_py_watch;
static int lk_py_late;                    /* libpython was found after start (lk_py_late_check) */
static int lk_py_late_watch;              /* no interpreter at start: the writer looks for one */
static int lk_py_inflight, lk_py_closers; /* late only: captures merging, dlcloses running */
static const lk_py_layout_t *lk_py;
static int lk_py_layout_ix;                    /* lk_py - lk_py_layouts */
static const uintptr_t *lk_py_fin_word;        /* _PyRuntime._finalizing, when watched */
static const char *lk_py_runtime;              /* &_PyRuntime */
static uintptr_t lk_py_eval_lo, lk_py_eval_hi; /* _PyEval_EvalFrameDefault's text */
static uintptr_t lk_py_code_type, lk_py_str_type, lk_py_bytes_type;

#define LK_PY_MAX_NAME 1024 /* bytes kept of a name or a file name */

/* ---------------------------------------------------------------- code table */

typedef struct {
	uintptr_t code, linetable_obj, qualname_obj; /* identity: a reused address differs */
	uint32_t id;
	int32_t firstlineno;
	uint32_t qualname_len, filename_len, linetable_len;
	const char *qualname, *filename;
	const uint8_t *linetable;
	/* canon[o]: the first instruction offset of the run of location entries that holds o
	 * and shares its line, for o < ncanon; a stack is recorded with that offset, so two
	 * events on one line are one stack (fewer stacks to intern, emit and aggregate). */
	const uint16_t *canon;
	uint32_t ncanon;
} lk_py_code_t;

#define LK_PY_MAX_CODES (1u << 18)
#define LK_PY_SLOTS     (2 * LK_PY_MAX_CODES)
#define LK_PY_ARENA     (1u << 20)

static uint32_t *lk_py_slots;        /* hash(code) -> id, 0 = empty */
static lk_py_code_t **lk_py_codes;   /* id -> entry */
static uint32_t lk_py_ncodes;        /* ids 1..n exist (acquire/release) */
static uint32_t lk_py_codes_emitted; /* writer only */
static int lk_py_lock_word LK_FORK_HOT;
static unsigned char *lk_py_arena_cur, *lk_py_arena_end;

void lk_py_lock(void)
{
	lk_spin_lock(&lk_py_lock_word);
}

void lk_py_unlock(void)
{
	lk_spin_unlock(&lk_py_lock_word);
}

static inline uintptr_t lk_py_word(uintptr_t p, uint16_t off)
{
	return *(const uintptr_t *)(p + off);
}

static inline uint32_t lk_py_hash(uintptr_t code)
{
	return (uint32_t)(((uint64_t)code * 0x9e3779b97f4a7c15ull) >> 40);
}

static void *lk_py_arena_alloc(size_t bytes)
{
	bytes = (bytes + 7) & ~(size_t)7;
	if (!lk_py_arena_cur || (size_t)(lk_py_arena_end - lk_py_arena_cur) < bytes) {
		size_t sz = bytes > LK_PY_ARENA ? bytes : LK_PY_ARENA;
		unsigned char *a = lk_sys_mmap(sz);
		if (!a)
			return NULL;
		lk_py_arena_cur = a;
		lk_py_arena_end = a + sz;
	}
	void *p = lk_py_arena_cur;
	lk_py_arena_cur += bytes;
	return p;
}

/* UTF-8 of code point c into o (room for 4); returns the count. */
static size_t lk_py_utf8(uint32_t c, char *o)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Lock held. Copies str object s as UTF-8 (at most LK_PY_MAX_NAME bytes) into the arena;
 * "?" for anything that is not a compact str. */
static const char *lk_py_copy_str(uintptr_t s, uint32_t *len)
{
	const lk_py_layout_t *L = lk_py;
	static char tmp[LK_PY_MAX_NAME + 4];
	size_t n = 0;
	if (s && !(s & 7) && lk_py_word(s, 8) == lk_py_str_type) {
		uint32_t state = *(const uint32_t *)(s + L->str_state);
		uint32_t kind = state >> 2 & 7, compact = state >> 5 & 1, ascii = state >> 6 & 1;
		uint64_t length = lk_py_word(s, L->str_length);
		if (compact && ascii) {
			n = length < LK_PY_MAX_NAME ? length : LK_PY_MAX_NAME;
			memcpy(tmp, (const char *)(s + L->str_ascii_data), n);
		} else if (compact && lk_py_word(s, L->str_utf8)) {
			uint64_t u = lk_py_word(s, L->str_utf8_len);
			n = u < LK_PY_MAX_NAME ? u : LK_PY_MAX_NAME;
			memcpy(tmp, (const char *)lk_py_word(s, L->str_utf8), n);
		} else if (compact && (kind == 1 || kind == 2 || kind == 4)) {
			const unsigned char *d = (const unsigned char *)(s + L->str_compact_data);
			for (uint64_t i = 0; i < length && n < LK_PY_MAX_NAME; i++) {
				uint32_t c = kind == 1   ? d[i]
				             : kind == 2 ? ((const uint16_t *)d)[i]
				                         : ((const uint32_t *)d)[i];
				n += lk_py_utf8(c > 0x10ffff ? 0xfffd : c, tmp + n);
			}
		}
	}
	if (!n) {
		tmp[0] = '?';
		n = 1;
	}
	char *p = lk_py_arena_alloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, tmp, n);
	p[n] = 0;
	*len = (uint32_t)n;
	return p;
}

/* Location-table varints (3.11, Objects/locations.md): 6 bits a byte, low first, 0x40 = more. */
static uint32_t lk_py_lt_varint(const uint8_t *t, uint32_t n, uint32_t *i)
{
	uint32_t v = 0;
	for (unsigned shift = 0; *i < n && shift < 32; shift += 6) {
		uint8_t b = t[(*i)++];
		v |= (uint32_t)(b & 0x3f) << shift;
		if (!(b & 0x40))
			break;
	}
	return v;
}

/* Lock held. Builds e->canon from e->linetable (3.11's format; the collector's model_py_line
 * reads the same table): a run of consecutive entries on one line maps to its first offset.
 * Left empty (offsets kept as they are) for a damaged table or one past 65535 code units. */
static void lk_py_canon_build(lk_py_code_t *e)
{
	const uint8_t *t = e->linetable;
	uint32_t n = e->linetable_len, i = 0, units = 0;
	while (i < n) { /* first pass: the number of code units covered */
		uint8_t first = t[i++];
		if (!(first & 0x80))
			return;
		unsigned code = first >> 3 & 15;
		units += (first & 7) + 1u;
		if (code == 14) {
			for (int k = 0; k < 4; k++)
				lk_py_lt_varint(t, n, &i);
		} else if (code == 13) {
			lk_py_lt_varint(t, n, &i);
		} else if (code >= 10 && code < 15) {
			i += 2;
		} else if (code < 10) {
			i += 1;
		}
	}
	if (!units || units > 0xffff)
		return;
	uint16_t *c = lk_py_arena_alloc(units * sizeof(uint16_t));
	if (!c)
		return;
	int64_t line = e->firstlineno, run_line = INT64_MIN;
	uint32_t addr = 0, run_start = 0;
	i = 0;
	while (i < n && addr < units) {
		uint8_t first = t[i++];
		unsigned code = first >> 3 & 15, len = (first & 7) + 1u;
		int64_t l;
		if (code == 15) {
			l = INT64_MIN + 1; /* no line: a run of its own kind */
		} else if (code == 14) {
			uint32_t u = lk_py_lt_varint(t, n, &i);
			line += u & 1 ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
			for (int k = 0; k < 3; k++)
				lk_py_lt_varint(t, n, &i);
			l = line;
		} else if (code == 13) {
			uint32_t u = lk_py_lt_varint(t, n, &i);
			line += u & 1 ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
			l = line;
		} else if (code >= 10) {
			line += (int64_t)code - 10;
			i += 2;
			l = line;
		} else {
			i += 1;
			l = line;
		}
		if (l != run_line) {
			run_line = l;
			run_start = addr;
		}
		for (unsigned k = 0; k < len && addr < units; k++)
			c[addr++] = (uint16_t)run_start;
	}
	e->canon = c;
	e->ncanon = units;
}

/* Lock held. A new entry for code object co (its type already checked; lt its line table
 * object, qn its name's identity, lk_py_qn_ident); NULL without memory or ids. */
static lk_py_code_t *lk_py_code_new(uintptr_t co, uintptr_t lt, uintptr_t qn)
{
	const lk_py_layout_t *L = lk_py;
	uint32_t id = lk_py_ncodes + 1;
	if (id >= LK_PY_MAX_CODES)
		return NULL;
	lk_py_code_t *e = lk_py_arena_alloc(sizeof(*e));
	if (!e)
		return NULL;
	e->code = co;
	e->linetable_obj = lt;
	e->qualname_obj = qn;
	e->id = id;
	e->firstlineno = *(const int32_t *)(co + L->co_firstlineno);
	e->qualname = lk_py_copy_str(lk_py_word(co, L->co_qualname), &e->qualname_len);
	e->filename = lk_py_copy_str(lk_py_word(co, L->co_filename), &e->filename_len);
	e->linetable = NULL;
	e->linetable_len = 0;
	if (lt && !(lt & 7) && lk_py_word(lt, 8) == lk_py_bytes_type) {
		uint64_t n = lk_py_word(lt, L->bytes_size);
		if (n > TRACE_MAX_STR)
			n = TRACE_MAX_STR; /* lines past it are not named */
		uint8_t *p = n ? lk_py_arena_alloc(n) : NULL;
		if (p) {
			memcpy(p, (const void *)(lt + L->bytes_data), n);
			e->linetable = p;
			e->linetable_len = (uint32_t)n;
		}
	}
	if (!e->qualname || !e->filename)
		return NULL;
	e->canon = NULL;
	e->ncanon = 0;
	lk_py_canon_build(e); /* one table format in every known version */
	return e;
}

/* The id of code object co (its type checked, lt and qn its line table and name objects as
 * read), interning it if new; 0 if the table is full. */
static uint32_t lk_py_code_id(uintptr_t co, uintptr_t lt, uintptr_t qn)
{
	uint32_t h = lk_py_hash(co);
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = h;; i = (i + 1) & (LK_PY_SLOTS - 1)) {
			uint32_t id =
			    __atomic_load_n(&lk_py_slots[i & (LK_PY_SLOTS - 1)], __ATOMIC_ACQUIRE);
			if (!id)
				break;
			const lk_py_code_t *e = __atomic_load_n(&lk_py_codes[id], __ATOMIC_ACQUIRE);
			if (e && e->code == co && e->linetable_obj == lt && e->qualname_obj == qn) {
				if (pass)
					lk_py_unlock();
				return id;
			}
		}
		if (!pass)
			lk_py_lock(); /* not there: look again under the lock, then insert */
	}
	uint32_t id = 0;
	lk_py_code_t *e = lk_py_code_new(co, lt, qn);
	if (e) {
		uint32_t i = h & (LK_PY_SLOTS - 1);
		while (lk_py_slots[i])
			i = (i + 1) & (LK_PY_SLOTS - 1);
		__atomic_store_n(&lk_py_codes[e->id], e, __ATOMIC_RELEASE);
		__atomic_store_n(&lk_py_slots[i], e->id, __ATOMIC_RELEASE);
		__atomic_store_n(&lk_py_ncodes, e->id, __ATOMIC_RELEASE);
		id = e->id;
	}
	lk_py_unlock();
	return id;
}

/* ---------------------------------------------------------------- capture */

/* pthread_self() without the call: on x86-64 glibc it is the TCB's self pointer, %fs:0. */
static inline uintptr_t lk_py_self(void)
{
#if defined(__x86_64__)
	uintptr_t tp;
	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return tp;
#else
	return (uintptr_t)pthread_self();
#endif
}

/* The calling thread's PyThreadState, or 0. */
static inline __attribute__((always_inline)) uintptr_t lk_py_tstate(const lk_py_layout_t *L)
{
	uintptr_t rt = (uintptr_t)lk_py_runtime, self = lk_py_self();
	if (L->flags & LK_PYL_TSTATE_CURRENT) {
		uintptr_t ts = __atomic_load_n((const uintptr_t *)(rt + L->rt_tstate_current),
		                               __ATOMIC_RELAXED);
		if (ts && !(ts & 7) && lk_py_word(ts, L->ts_thread_id) == self)
			return ts;
	}
	const int *tss = (const int *)(rt + L->rt_tss_key);
	if (!tss[0])
		return 0; /* the interpreter has not made its key yet */
	uintptr_t ts = (uintptr_t)pthread_getspecific((pthread_key_t)tss[1]);
	/* A thread's own: the key's value is set by the interpreter for the thread it binds. */
	return ts && !(ts & 7) && lk_py_word(ts, L->ts_thread_id) == self ? ts : 0;
}

static inline bool lk_py_in_eval(uintptr_t pc)
{
	return pc > lk_py_eval_lo && pc <= lk_py_eval_hi;
}

/* Each thread's last merges: (native id, hash of the merged frames: code ids and instruction
 * offsets) -> merged stack id. A hit skips the stack table; the walk itself is always done.
 * Two-way set-associative (direct-mapped, the bench workload's misses went from 22.5 k to
 * 82 k or 162 k of 2.66 M depending on where ASLR put the code objects: two hot stacks
 * sharing a slot), big enough for the working set of a loop that allocates from many lines
 * through many native paths (64 entries missed one event in five on the bench workload). One
 * mmap per thread, pooled and reused after the thread exits (as walk_memo.c does), so the TLS
 * cost is one pointer. */
#define LK_PY_CACHE 1024 /* entries, in sets of two (32 bytes: one cache line each) */
typedef struct {
	uint64_t hash;
	uint32_t native_id, id;
} lk_py_cache_ent_t;

/* Each thread's code objects last seen in its frames, by address (direct-mapped, 32 bytes an
 * entry): the code id and what the walk needs of the object, under the code table's identity
 * (address, line-table and name objects: a freed code object's address is reused). A hit
 * costs a frame one line of its code object (the two identity words, side by side) instead of
 * two or three (type, first traceable offset, identity) and the code table's lookup. The type
 * is checked when an entry is made. */
#define LK_PY_MEMO 128
typedef struct {
	uintptr_t code, linetable_obj, qualname_obj;
	uint32_t id;
	int32_t first; /* _co_firsttraceable */
} lk_py_memo_t;

/* Each thread's last capture, one entry a frame walked, by depth from the outermost one: the
 * frame as read (code object, instruction pointer, flags, and the code object's identity),
 * what it adds to the key (w) and the key's hash from the outermost frame down to it (hp).
 * The key is hashed from the outermost frame in, so a capture whose outer frames read the
 * same as the last one's (the common case: a loop allocating from a few lines under callers
 * that stay put) takes their hash as it stands and hashes only the frames that changed. Each
 * of those outer frames is still read, and its code object's identity checked, every time. */
#define LK_PY_MAX_RAW 256 /* frames walked per capture, at most */
typedef struct {
	uintptr_t co, pi; /* f_code (0: an entry frame owned by the C stack), prev_instr */
	uintptr_t lt, qn; /* co's line table and name objects, as checked */
	uint64_t w, hp;   /* key part, hash down to here */
	uint32_t fl;      /* owner, and 3.11's is_entry */
} lk_py_rec_t;

typedef struct lk_py_tcache lk_py_tcache_t;
struct lk_py_tcache {
	lk_py_cache_ent_t ent[LK_PY_CACHE];
	lk_py_memo_t memo[LK_PY_MEMO];
	uint32_t rec_n;                 /* frames of the last capture in rec */
	lk_py_rec_t rec[LK_PY_MAX_RAW]; /* by depth from its outermost frame */
	int in_use;
	lk_py_tcache_t *next; /* pool: push-only list */
};
static __thread lk_py_tcache_t *lk_py_tcache_self __attribute__((tls_model("initial-exec")));
static lk_py_tcache_t *lk_py_tcache_pool;
static pthread_key_t lk_py_tcache_key;
static bool lk_py_tcache_key_ok;

static void lk_py_tcache_release(void *p)
{
	lk_py_tcache_t *t = p;
	if (t == lk_py_tcache_self)
		lk_py_tcache_self = NULL;
	if (t)
		__atomic_store_n(&t->in_use, 0, __ATOMIC_RELEASE);
}

/* This thread's cache, taken from the pool or mapped; NULL without memory. */
static lk_py_tcache_t *lk_py_tcache_attach(void)
{
	lk_py_tcache_t *t;
	for (t = __atomic_load_n(&lk_py_tcache_pool, __ATOMIC_ACQUIRE); t; t = t->next) {
		int expect = 0;
		if (!__atomic_load_n(&t->in_use, __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&t->in_use, &expect, 1, false, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED))
			break;
	}
	if (t) {
		memset(t->ent, 0, sizeof(t->ent)); /* ids stay valid, but start clean */
		memset(t->memo, 0, sizeof(t->memo));
		t->rec_n = 0;
	} else {
		t = lk_sys_mmap(sizeof(*t));
		if (!t)
			return NULL;
		t->in_use = 1;
		t->next = __atomic_load_n(&lk_py_tcache_pool, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&lk_py_tcache_pool, &t->next, t, true,
		                                    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
			;
	}
	lk_py_tcache_self = t;
	if (lk_py_tcache_key_ok) /* key < 32: glibc does not allocate */
		pthread_setspecific(lk_py_tcache_key, t);
	return t;
}

static inline uint64_t lk_py_mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 29);
}

/* A frame's key part (w): code id << 32 | instruction offset (id below 2^18), and flags. */
#define LK_PY_W_CSTACK 0x8000000000000000ull /* an entry frame owned by the C stack (3.12+) */
#define LK_PY_W_INCOMP 0x4000000000000000ull /* incomplete: not shown */
#define LK_PY_W_ENTRY  0x2000000000000000ull /* 3.11's is_entry: the last frame of its run */

static inline lk_py_memo_t *lk_py_memo_slot(lk_py_tcache_t *t, uintptr_t co)
{
	return &t->memo[(uint64_t)co * 0x9e3779b97f4a7c15ull >> 57];
}

/* The identity of code object co's name: its qualified-name object's address mixed with the
 * string's hash (the word after its length; computed when the compiler interned the name, -1
 * before). A function compiled anew after another was freed can get the freed code object's
 * address and those of its line table and name objects (same sizes: glibc's bins hand them
 * back), but not the name's text: made_12 once read as made_10 in test_python_frames_reuse. */
static inline uintptr_t lk_py_qn_ident(const lk_py_layout_t *L, uintptr_t co)
{
	uintptr_t qn = lk_py_word(co, L->co_qualname);
	if (!qn || (qn & 7))
		return qn;
	return qn ^ (uintptr_t)(lk_py_word(qn, L->str_length + 8) * 0x9e3779b97f4a7c15ull << 3);
}

/* A memo miss for code object co (nonzero, aligned): checks its type, names it (interning it
 * if new) and fills m. False if co is not a code object or the code table is full. */
static __attribute__((noinline)) bool lk_py_memo_fill(const lk_py_layout_t *L, lk_py_memo_t *m,
                                                      uintptr_t co)
{
	if (lk_py_word(co, 8) != lk_py_code_type)
		return false;
	uintptr_t lt = lk_py_word(co, L->co_linetable), qn = lk_py_qn_ident(L, co);
	uint32_t id = lk_py_code_id(co, lt, qn);
	if (!id)
		return false;
	m->code = co;
	m->linetable_obj = lt;
	m->qualname_obj = qn;
	m->id = id;
	m->first = *(const int32_t *)(co + L->co_firsttraceable);
	return true;
}

/* One frame as the walk read it (co 0: an entry frame owned by the C stack). */
typedef struct {
	uintptr_t co, pi;
	uint32_t fl; /* owner, and 3.11's is_entry << 8 */
} lk_py_raw_t;

/* Reads this thread's frame chain, innermost first, into t->rec (by depth from the outermost
 * frame read) and returns the count of frames (0: none; -1: a check failed, then no Python
 * frames at all: the native stack stands), with *hash the hash of their key parts. The chain
 * is read whole (up to LK_PY_MAX_RAW frames), whatever the native stack shows of it: the
 * merge takes as many runs as it has activations of the evaluation loop. In 3.11 a run ends at
 * a frame whose is_entry is set; in 3.12+ at an entry frame owned by the C stack, which is
 * kept (its key part says so). Inlined once per layout, whose offsets are then constants. */
static inline __attribute__((always_inline)) int lk_py_read_L(const lk_py_layout_t *L,
                                                              lk_py_tcache_t *t, uint64_t *hash)
{
	uintptr_t ts = lk_py_tstate(L);
	if (!ts || (ts & 7))
		return 0;
	uintptr_t fr;
	if (L->flags & LK_PYL_CFRAME) {
		uintptr_t cf = lk_py_word(ts, L->ts_cframe);
		fr = cf && !(cf & 7) ? lk_py_word(cf, L->cf_current_frame) : 0;
	} else {
		fr = lk_py_word(ts, L->ts_cframe);
	}
	bool by_owner = (L->flags & LK_PYL_ENTRY_OWNER) != 0;
	/* First the chain, as plain loads (innermost first). */
	lk_py_raw_t raw[LK_PY_MAX_RAW];
	int n = 0;
	while (fr && n < LK_PY_MAX_RAW) {
		if (fr & 7)
			return -1;
		uint8_t owner = *(const uint8_t *)(fr + L->fr_owner);
		if (by_owner && owner == L->owner_cstack) {
			raw[n].co = 0;
			raw[n].pi = 0;
			raw[n++].fl = owner;
			fr = lk_py_word(fr, L->fr_previous); /* the activation's entry frame */
			continue;
		}
		uintptr_t co = lk_py_word(fr, L->fr_code);
		if (!co || (co & 7))
			return -1; /* not the layout we think: no Python frames at all */
		bool entry = !by_owner && *(const uint8_t *)(fr + L->fr_is_entry) != 0;
		raw[n].co = co;
		raw[n].pi = lk_py_word(fr, L->fr_prev_instr);
		raw[n++].fl = (uint32_t)owner | (uint32_t)entry << 8;
		fr = lk_py_word(fr, L->fr_previous);
	}
	/* Then the key, from the outermost frame in: the frames that read as in the last capture
	 * (and whose code objects are still the ones named then) keep their part and hash. */
	uint32_t rn = t->rec_n;
	uint64_t h = 0x51ed270b27cb7a5full;
	int d = 0;
	for (; d < n && (uint32_t)d < rn; d++) {
		const lk_py_raw_t *f = &raw[n - 1 - d];
		const lk_py_rec_t *r = &t->rec[d];
		if (f->co != r->co || f->pi != r->pi || f->fl != r->fl)
			break;
		if (f->co && (lk_py_word(f->co, L->co_linetable) != r->lt ||
		              lk_py_qn_ident(L, f->co) != r->qn))
			break;
		h = r->hp;
	}
	for (; d < n; d++) {
		const lk_py_raw_t *f = &raw[n - 1 - d];
		lk_py_rec_t *r = &t->rec[d];
		uintptr_t co = f->co, pi = f->pi;
		uint32_t fl = f->fl;
		uint64_t w = LK_PY_W_CSTACK;
		r->lt = r->qn = 0;
		if (co) {
			lk_py_memo_t *m = lk_py_memo_slot(t, co);
			if (__builtin_expect(m->code != co ||
			                         lk_py_word(co, L->co_linetable) !=
			                             m->linetable_obj ||
			                         lk_py_qn_ident(L, co) != m->qualname_obj,
			                     0) &&
			    !lk_py_memo_fill(L, m, co)) {
				t->rec_n = (uint32_t)d; /* the entries above stand */
				return -1;
			}
			r->lt = m->linetable_obj;
			r->qn = m->qualname_obj;
			uintptr_t start = co + L->co_code;
			/* An incomplete frame (still being set up) is not shown, as in CPython. */
			bool incomplete = (fl & 0xff) != L->owner_generator &&
			                  pi < start + 2 * (uintptr_t)m->first;
			uint64_t lasti = (pi - start) / 2; /* below start: wraps, then capped */
			if (lasti > 0xffffffffu)
				lasti = 0xffffffffu;
			w = (uint64_t)m->id << 32 | lasti | (incomplete ? LK_PY_W_INCOMP : 0) |
			    (fl >> 8 ? LK_PY_W_ENTRY : 0);
		}
		r->co = co;
		r->pi = pi;
		r->fl = fl;
		r->w = w;
		h = lk_py_mix(h, w);
		r->hp = h;
	}
	t->rec_n = (uint32_t)n;
	*hash = h;
	return n;
}

static int lk_py_read(lk_py_tcache_t *t, uint64_t *hash)
{
	_Static_assert(sizeof(lk_py_layouts) / sizeof(lk_py_layouts[0]) == 3, "one case a layout");
	switch (lk_py_layout_ix) {
	case 0:
		return lk_py_read_L(&lk_py_layouts[0], t, hash);
	case 1:
		return lk_py_read_L(&lk_py_layouts[1], t, hash);
	default:
		return lk_py_read_L(&lk_py_layouts[2], t, hash);
	}
}

/* ---------------------------------------------------------------- held native stacks */

/* Each native stack the merge replaces is interned first (the per-thread memos are keyed by
 * its id), yet no record names it unless a capture also returns it as it is (no Python frame
 * on the thread, no evaluation loop in it). Writing every one doubled the STACK records of a
 * Python program (12.6 k to 23.3 k on the bench workload at 4000), and their encoding and
 * compression on the writer were a third of what Python frames cost. So a native stack is
 * marked held when a merge first replaces it, used when a capture returns it, and the writer
 * emits a held stack only once it is used (lk_py_stack_emit_ok, lk_py_emit_used_late). A
 * capture sets "used" before the id reaches any record, so the STACK still precedes every
 * record that names it. Only for an interpreter found at start, whose merge is never paused
 * (a capture that skips lk_py_stack would return a held stack unmarked). One bit a stack id
 * each, mapped at start (untouched pages cost nothing). */
static uint64_t *lk_py_held, *lk_py_used;
static int lk_py_used_late; /* a stack held back was used since: the writer looks */

static inline bool lk_py_bit(const uint64_t *m, uint32_t id)
{
	return __atomic_load_n(&m[id >> 6], __ATOMIC_RELAXED) >> (id & 63) & 1;
}

/* A capture returns native stack id as it is. */
static inline uint32_t lk_py_native(uint32_t id)
{
	uint64_t *used = lk_py_used;
	if (used && id <= LK_STACK_MAX_IDS && !lk_py_bit(used, id)) {
		__atomic_fetch_or(&used[id >> 6], 1ull << (id & 63), __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&lk_py_held[id >> 6], __ATOMIC_SEQ_CST) >> (id & 63) & 1)
			__atomic_store_n(&lk_py_used_late, 1, __ATOMIC_SEQ_CST);
	}
	return id;
}

/* A merge first replaced native stack id (never returned as it is so far). */
static inline void lk_py_hold(uint32_t id)
{
	if (lk_py_held && id <= LK_STACK_MAX_IDS && !lk_py_bit(lk_py_used, id) &&
	    !lk_py_bit(lk_py_held, id))
		__atomic_fetch_or(&lk_py_held[id >> 6], 1ull << (id & 63), __ATOMIC_SEQ_CST);
}

bool lk_py_stack_emit_ok(uint32_t id)
{
	if (!lk_py_held || id > LK_STACK_MAX_IDS || !lk_py_bit(lk_py_held, id))
		return true;
	if (!(__atomic_load_n(&lk_py_used[id >> 6], __ATOMIC_SEQ_CST) >> (id & 63) & 1))
		return false;
	/* Used: it goes out now, and a later look for used held stacks passes it by. */
	__atomic_fetch_and(&lk_py_held[id >> 6], ~(1ull << (id & 63)), __ATOMIC_RELAXED);
	return true;
}

void lk_py_emit_used_late(trace_buf_t *b, uint32_t upto)
{
	if (!lk_py_held || !__atomic_exchange_n(&lk_py_used_late, 0, __ATOMIC_SEQ_CST))
		return;
	for (uint32_t w = 0; w <= upto >> 6; w++) {
		uint64_t m = __atomic_load_n(&lk_py_held[w], __ATOMIC_RELAXED) &
		             __atomic_load_n(&lk_py_used[w], __ATOMIC_SEQ_CST);
		for (; m; m &= m - 1) {
			uint32_t id = w << 6 | (uint32_t)__builtin_ctzll(m), n;
			const uintptr_t *f =
			    id && id <= upto ? lk_stack_table_frames(id, &n) : NULL;
			if (!f)
				continue;
			__atomic_fetch_and(&lk_py_held[w], ~(1ull << (id & 63)), __ATOMIC_RELAXED);
			trace_enc_stack(b, &(struct trace_rec_stack){
			                       .id = id, .n = n, .frames = (const uint64_t *)f});
		}
	}
}

static inline bool lk_py_finalizing(void)
{
	const uintptr_t *fin = lk_py_fin_word;
	return fin && __atomic_load_n(fin, __ATOMIC_RELAXED) != 0;
}

static uint32_t lk_py_stack_merge(uint32_t native_id);

uint32_t lk_py_stack(uint32_t native_id)
{
	if (__builtin_expect(!lk_py_late, 1))
		return lk_py_stack_merge(native_id);
	/* libpython loaded late, which a dlclose may unmap: counted in flight (dlclose waits). */
	__atomic_add_fetch(&lk_py_inflight, 1, __ATOMIC_SEQ_CST);
	uint32_t id = __atomic_load_n(&lk_py_active, __ATOMIC_SEQ_CST)
	                  ? lk_py_stack_merge(native_id)
	                  : native_id;
	__atomic_sub_fetch(&lk_py_inflight, 1, __ATOMIC_SEQ_CST);
	return id;
}

static uint32_t lk_py_stack_merge(uint32_t native_id)
{
	if (__builtin_expect(lk_py_finalizing(), 0))
		lk_py_check_finalize();
	lk_py_tcache_t *t = lk_py_tcache_self;
	if (__builtin_expect(!t, 0) && !(t = lk_py_tcache_attach()))
		return lk_py_native(native_id);
	/* The native stack is fixed by its id: it and the Python frames read make the key. */
	uint64_t h;
	int nf = lk_py_read(t, &h);
	if (nf <= 0)
		return lk_py_native(native_id);
	h = lk_py_mix(h, native_id);
	/* Two ways a set, in one cache line: the newest merge in way 0, the one it pushed out
	 * in way 1 (two hot stacks that share a set then both stay). */
	lk_py_cache_ent_t *c = &t->ent[(h ^ h >> 32 ^ native_id) & (LK_PY_CACHE - 2)];
	if (c[0].hash == h && c[0].native_id == native_id && c[0].id)
		return c[0].id;
	if (c[1].hash == h && c[1].native_id == native_id && c[1].id)
		return c[1].id;
	/* A miss: merge and intern. Each run of frames replaces one native frame of the
	 * evaluation loop; a run with no complete frame leaves it. */
	uint32_t n;
	const uintptr_t *nat = lk_stack_table_frames(native_id, &n);
	if (!nat)
		return lk_py_native(native_id);
	uintptr_t out[256];
	uint32_t k = 0;
	int j = 0;
	bool any = false;
	for (uint32_t i = 0; i < n && k < 256; i++) {
		if (j >= nf || !lk_py_in_eval(nat[i])) {
			out[k++] = nat[i];
			continue;
		}
		uint32_t before = k;
		while (j < nf) {
			uint64_t w = t->rec[nf - 1 - j++].w;
			if (w & LK_PY_W_CSTACK)
				break; /* the activation's entry frame: its run is over */
			if (!(w & LK_PY_W_INCOMP) && k < 256) {
				uint32_t cid = (uint32_t)(w >> 32) & 0x3ffff;
				const lk_py_code_t *e =
				    __atomic_load_n(&lk_py_codes[cid], __ATOMIC_ACQUIRE);
				uintptr_t off = (uint32_t)w;
				if (off < e->ncanon)
					off = e->canon[off];
				out[k++] = (uintptr_t)(LK_PY_FRAME_TAG | (uint64_t)cid << 32 | off);
			}
			if (w & LK_PY_W_ENTRY)
				break;
		}
		if (k == before)
			out[k++] = nat[i]; /* no Python frame for it: keep the native one */
		else
			any = true;
	}
	uint32_t id = any ? lk_stack_table_intern(out, k) : native_id;
	if (!id)
		return lk_py_native(native_id);
	if (id == native_id)
		lk_py_native(native_id); /* a hit on this entry returns it too: marked once here */
	else
		lk_py_hold(native_id);
	c[1] = c[0];
	c[0] = (lk_py_cache_ent_t){.hash = h, .native_id = native_id, .id = id};
	return id;
}

int lk_py_finalized;

void lk_py_check_finalize(void)
{
	if (__builtin_expect(!lk_py_finalizing(), 1))
		return;
	int expect = 0;
	if (!__atomic_compare_exchange_n(&lk_py_finalized, &expect, 1, false, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_RELAXED))
		return;
	lk_writer_sync_py_finalize();
}

/* ---------------------------------------------------------------- writer */

static void lk_py_late_check(void);

void lk_py_emit_codes(trace_buf_t *b, int restart)
{
	if (__builtin_expect(lk_py_late_watch, 0))
		lk_py_late_check();
	if (!lk_py_active)
		return;
	if (restart)
		lk_py_codes_emitted = 0;
	uint32_t upto = __atomic_load_n(&lk_py_ncodes, __ATOMIC_ACQUIRE);
	for (uint32_t id = lk_py_codes_emitted + 1; id <= upto; id++) {
		const lk_py_code_t *e = __atomic_load_n(&lk_py_codes[id], __ATOMIC_ACQUIRE);
		if (!e)
			continue;
		trace_enc_py_code(
		    b, &(struct trace_rec_py_code){
		           .id = id,
		           .py_version = lk_py->version,
		           .firstlineno = (uint64_t)(e->firstlineno > 0 ? e->firstlineno : 0),
		           .qualname = {(const uint8_t *)e->qualname, e->qualname_len},
		           .filename = {(const uint8_t *)e->filename, e->filename_len},
		           .linetable = {e->linetable, e->linetable_len},
		       });
	}
	lk_py_codes_emitted = upto;
}

/* ---------------------------------------------------------------- detection */

/* "python3.NN" in a file name (the executable or libpython): the minor version, or -1. */
static int lk_py_minor_from_name(const char *s)
{
	const char *p = s ? strstr(s, "python3.") : NULL;
	if (!p)
		return -1;
	p += 8;
	int m = 0, d = 0;
	while (*p >= '0' && *p <= '9' && d < 3) {
		m = m * 10 + (*p++ - '0');
		d++;
	}
	return d ? m : -1;
}

static void lk_py_unsupported(int major, int minor)
{
	char a[12], b[12];
	a[lk_fmt_u64(a, (uint64_t)major)] = 0;
	b[lk_fmt_u64(b, (uint64_t)(minor < 0 ? 0 : minor))] = 0;
	const char *parts[] = {"libleak: python ", a, ".", minor < 0 ? "?" : b,
	                       " frames not supported; native stacks only"};
	lk_log_line(parts, sizeof(parts) / sizeof(parts[0]));
}

/* What detection needs of the interpreter, found by symbol. */
typedef struct {
	void *rt, *eval, *code, *str, *bytes;
	size_t eval_size;
	int major, minor; /* minor -1: unknown */
} lk_py_syms_t;

/* Picks the layout and turns the merge on (late: from the writer, as a libpython loaded after
 * start is found; everything is set before lk_py_active is published). False when the
 * version's layout is unknown (the one line printed). */
static bool lk_py_start(const lk_py_syms_t *y, bool late)
{
	int major = y->major, minor = y->minor;
	/* Tests: another version than the real one is always an unknown layout (never another
	 * version's offsets on this interpreter). */
	bool pretend = false;
	if (lk_config.python_test_version &&
	    (int)lk_config.python_test_version != major * 100 + minor) {
		major = (int)lk_config.python_test_version / 100;
		minor = (int)lk_config.python_test_version % 100;
		pretend = true;
	}
	const lk_py_layout_t *L = NULL;
	for (size_t i = 0; i < sizeof(lk_py_layouts) / sizeof(lk_py_layouts[0]); i++)
		if (!pretend && major == 3 && minor >= 0 &&
		    lk_py_layouts[i].version == (0x0300 | minor))
			L = &lk_py_layouts[i];
	if (L && (L->flags & LK_PYL_DEBUG_OFFSETS) && !lk_py_debug_offsets_match(y->rt, L))
		L = NULL; /* not the build measured: its offsets differ from what it publishes */
	if (!L || !y->eval || !y->code || !y->str || !y->bytes || !y->eval_size) {
		if (lk_config.python)
			lk_py_unsupported(major, minor);
		return false;
	}
	lk_py = L;
	lk_py_layout_ix = (int)(L - lk_py_layouts);
	lk_py_runtime = y->rt;
	/* The final state as finalization begins, frames or not: for the python program, not for
	 * a C program that loads the interpreter late and may go on after Py_Finalize. */
	if (!late) {
		lk_py_fin_word = (const uintptr_t *)(lk_py_runtime + L->rt_finalizing);
		lk_py_watch = 1;
	}
	if (!lk_config.python)
		return true;
	lk_py_slots = lk_sys_mmap(LK_PY_SLOTS * sizeof(uint32_t));
	lk_py_codes = lk_sys_mmap(LK_PY_MAX_CODES * sizeof(lk_py_code_t *));
	if (!lk_py_slots || !lk_py_codes)
		return false;
	lk_py_tcache_key_ok = pthread_key_create(&lk_py_tcache_key, lk_py_tcache_release) == 0;
	if (!late) {
		size_t bits = ((size_t)LK_STACK_MAX_IDS + 64) / 64 * sizeof(uint64_t);
		uint64_t *held = lk_sys_mmap(bits), *used = lk_sys_mmap(bits);
		if (held && used) {
			lk_py_used = used;
			lk_py_held = held;
		}
	}
	lk_py_eval_lo = (uintptr_t)y->eval;
	lk_py_eval_hi = (uintptr_t)y->eval + y->eval_size;
	lk_py_code_type = (uintptr_t)y->code;
	lk_py_str_type = (uintptr_t)y->str;
	lk_py_bytes_type = (uintptr_t)y->bytes;
	lk_py_late = late;
	__atomic_store_n(&lk_py_active, 1, __ATOMIC_RELEASE);
	return true;
}

void lk_py_init(void)
{
	void *rt = lk_elf_dynsym_maybe("_PyRuntime") ? dlsym(RTLD_DEFAULT, "_PyRuntime") : NULL;
	if (!rt) {
		/* Not Python now: a C program may still load libpython later (the writer looks). */
		lk_py_late_watch = lk_config.python != 0;
		return;
	}
	if (lk_config.python_malloc)
		setenv("PYTHONMALLOC", "malloc", 0); /* before the interpreter reads it */
	lk_py_syms_t y = {.rt = rt, .major = 3, .minor = -1};
	const uint32_t *hex = dlsym(RTLD_DEFAULT, "Py_Version");
	if (hex) {
		y.major = (int)(*hex >> 24);
		y.minor = (int)(*hex >> 16 & 0xff);
	} else {
		Dl_info info;
		if (dladdr(rt, &info))
			y.minor = lk_py_minor_from_name(info.dli_fname);
	}
	y.eval = dlsym(RTLD_DEFAULT, "_PyEval_EvalFrameDefault");
	y.code = dlsym(RTLD_DEFAULT, "PyCode_Type");
	y.str = dlsym(RTLD_DEFAULT, "PyUnicode_Type");
	y.bytes = dlsym(RTLD_DEFAULT, "PyBytes_Type");
	Dl_info info;
	const ElfW(Sym) *sym = NULL;
	if (y.eval && dladdr1(y.eval, &info, (void **)&sym, RTLD_DL_SYMENT) && sym)
		y.eval_size = sym->st_size;
	lk_py_start(&y, false);
}

/* ---------------------------------------------------------------- libpython loaded later */

/* A C program that dlopen()s libpython after start (embedding: Py_Initialize and
 * PyRun_SimpleString through dlsym) had no _PyRuntime when lk_py_init ran. The writer, each
 * time it emits stacks, asks the loader whether anything was loaded since it last looked
 * (dl_iterate_phdr's dlpi_adds, read from the first object only) and then looks for a
 * libpython3.X among the objects: its symbols are read from its own dynamic symbol table (GNU
 * hash), as memory, since dlsym/dlopen would take the loader lock that a thread running a
 * library's constructors holds while it may wait for the writer. Python frames then appear in
 * stacks captured from that moment on; PYTHONMALLOC is the user's to set (too late here). A
 * dlclose of anything pauses the merge until in-flight captures are done, and resumes it only
 * while libpython is still mapped. */

static uint64_t lk_py_seen_adds;

static void *lk_py_elf_addr(const lk_elf_dynsym_t *e, const char *name, size_t *size)
{
	const ElfW(Sym) *s = lk_elf_dynsym_find(e, name);
	if (!s || !s->st_value)
		return NULL;
	if (size)
		*size = s->st_size;
	return (void *)(e->base + s->st_value);
}

static int lk_py_adds_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs))
		*(uint64_t *)arg = info->dlpi_adds;
	return 1; /* the counter is the same in every entry: one is enough */
}

static int lk_py_find_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	lk_py_syms_t *y = arg;
	const char *name = info->dlpi_name;
	int minor = name ? lk_py_minor_from_name(strstr(name, "libpython3.") ? name : "") : -1;
	if (minor < 0)
		return 0;
	lk_elf_dynsym_t e;
	const ElfW(Dyn) *dyn = NULL;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	if (lk_elf_dynsym_init(&e, info->dlpi_addr, dyn) != 0)
		return 0;
	y->rt = lk_py_elf_addr(&e, "_PyRuntime", NULL);
	if (!y->rt)
		return 0;
	y->major = 3;
	y->minor = minor;
	const uint32_t *hex = lk_py_elf_addr(&e, "Py_Version", NULL);
	if (hex) {
		y->major = (int)(*hex >> 24);
		y->minor = (int)(*hex >> 16 & 0xff);
	}
	y->eval = lk_py_elf_addr(&e, "_PyEval_EvalFrameDefault", &y->eval_size);
	y->code = lk_py_elf_addr(&e, "PyCode_Type", NULL);
	y->str = lk_py_elf_addr(&e, "PyUnicode_Type", NULL);
	y->bytes = lk_py_elf_addr(&e, "PyBytes_Type", NULL);
	return 1;
}

static void lk_py_late_check(void)
{
	uint64_t adds = 0;
	dl_iterate_phdr(lk_py_adds_cb, &adds);
	if (adds == lk_py_seen_adds)
		return;
	lk_py_seen_adds = adds;
	lk_py_syms_t y = {0};
	dl_iterate_phdr(lk_py_find_cb, &y);
	if (!y.rt)
		return;
	lk_py_late_watch = 0; /* one interpreter, known or not: looked at once */
	lk_py_start(&y, true);
}

void lk_py_dlclose_begin(void)
{
	if (!__atomic_load_n(&lk_py_late, __ATOMIC_ACQUIRE))
		return;
	__atomic_add_fetch(&lk_py_closers, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&lk_py_active, 0, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&lk_py_inflight, __ATOMIC_SEQ_CST))
		sched_yield();
}

void lk_py_dlclose_end(void)
{
	if (!__atomic_load_n(&lk_py_late, __ATOMIC_ACQUIRE))
		return;
	lk_modules_scan(); /* the hook's own rescan may not have run (nested in a hook) */
	if (__atomic_sub_fetch(&lk_py_closers, 1, __ATOMIC_SEQ_CST) == 0 &&
	    lk_modules_contains(lk_py_eval_lo))
		__atomic_store_n(&lk_py_active, 1, __ATOMIC_SEQ_CST);
}
