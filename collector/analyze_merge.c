/* SPDX-License-Identifier: MIT */
/* analyze_merge.c - analyze_merge_same(): findings of one kind whose stacks read the same
 * become one. Two stack ids can name the same frames as a reader sees them: a Python frame is
 * recorded with its instruction offset, and two calls on one Python line (two allocations of
 * one expression, a loop that reaches the line from two places) are two offsets and so two
 * stacks with identical text. A JavaScript frame is named by its function's first line, and
 * V8 compiles one function several times (interpreted, baseline, optimized): the same call
 * in two tiers is two return addresses and so two stacks with identical text too, and so is
 * one C line the compiler duplicated (an unrolled loop, tail duplication, loop versioning:
 * 8 mallocs of one line were 5 findings of one text). Here a Python frame compares by
 * function, file and line, a JavaScript frame by function, script and line (not by tier), a
 * native frame by its module and the function, file and line of each frame the symbolizer
 * expands it to (inlined calls included), or by module and address when it has no line (no
 * debug information, --no-symbols: module + offset is what the reader sees then). Naming
 * frames can cost a scan of a symbol table, so a first pass keys each finding coarsely (a
 * frame in a module with lines by its module alone) and only findings that share a coarse
 * key get their frames named.
 * A stack with Python or JavaScript frames reads the same as another when its frames up to
 * and including the first interpreted one do, and so do its interpreted frames in order: the
 * native frames between and below those are the interpreter's, and differ for one line
 * (CPython 3.11's adaptive interpreter reaches a call through other C paths on its first
 * runs, an asyncio task resumes through other _asyncio entries: 59 sockets and then 1 more of
 * one Python line were two findings).
 * Up to the first interpreted frame, a Python stack skips the interpreter's own frames too
 * (those in the module of the native frame that called the first Python frames, libpython or
 * the python binary): 3.11 reaches os.open from a line through cfunction_vectorcall on the
 * first calls and straight from the evaluation loop later (24 temp files of one line were 17
 * and 7). The other native frames there (libc's, an extension module's) still count, and a
 * stack without interpreted frames (a C program's) compares every frame.
 * Findings of one kind (and one descriptor type, state and API) on such stacks are summed
 * into the first one: bytes, counts, ids (back in order), paths and peers; the trend of a
 * growth finding adds the rates and the first/last values (a sum of steady growths is one),
 * keeps the smaller p-value and the larger tau, and the sooner ETA. */
#include "analyze.h"

#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "symbolizer.h"
#include "trace_format.h"

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 29);
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++)
		h = (h ^ *c) * 0x100000001b3ull;
	return h;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* What the frame comparisons share: the process, the symbolizer that names native frames
 * (NULL: they compare by address), whether keys are coarse (see coarse_key) and scratch room
 * for one frame of each side. */
struct merge_ctx {
	const struct model_proc *p;
	struct symbolizer *sym;
	bool coarse;
	struct sym_stack x, y;
	struct err e;
	bool failed; /* out of memory in the symbolizer */
};

/* A Python frame as the reader sees it, or false for a native frame (or a code id the trace
 * never defined: compared by value then). */
static bool py_frame(const struct model_proc *p, uint64_t f, const struct model_pycode **c,
                     int *line)
{
	if (!(f & TRACE_FRAME_PY))
		return false;
	*c = model_proc_pycode(p, TRACE_FRAME_PY_CODE(f));
	if (!*c)
		return false;
	*line = model_py_line(*c, TRACE_FRAME_PY_INSTR(f));
	return true;
}

/* The JavaScript code range of frame i of s (a frame in no module that a JS_CODE names), or
 * NULL. */
static const struct model_jscode *js_frame(const struct model_proc *p, const struct model_stack *s,
                                           uint32_t i)
{
	if ((s->frames[i] & TRACE_FRAME_PY) || model_proc_frame_module(p, s, i))
		return NULL;
	return model_proc_jscode(p, s->frames[i]);
}

static bool js_same(const struct model_jscode *a, const struct model_jscode *b)
{
	return a->line == b->line && a->stub == b->stub && str_eq(a->function, b->function) &&
	       str_eq(a->path, b->path);
}

/* Frame i of s: 0 native, 1 Python, 2 JavaScript. */
static int frame_lang(const struct model_proc *p, const struct model_stack *s, uint32_t i)
{
	const struct model_pycode *c;
	int line;
	if (py_frame(p, s->frames[i], &c, &line))
		return 1;
	return js_frame(p, s, i) ? 2 : 0;
}

/* The path of the module of frame i of s, or NULL. */
static const char *module_path(const struct merge_ctx *c, const struct model_stack *s, uint32_t i)
{
	const struct model_module *m = model_proc_frame_module(c->p, s, i);
	return m ? m->path : NULL;
}

/* Native frame i of s as the symbolizer names it, into out: true when each frame it expands
 * to (inlined calls add frames) has a function, file and line, which is what the reader sees;
 * false when it compares by address (no line information, --no-symbols, no symbolizer, one
 * of libleak's frames, or out of memory: then c->failed). */
static bool native_named(struct merge_ctx *c, const struct model_stack *s, uint32_t i,
                         struct sym_stack *out)
{
	out->n = 0;
	if (!c->sym)
		return false;
	if (symbolizer_frame(c->sym, c->p, s, i, out, &c->e) != 0) {
		c->failed = true;
		out->n = 0;
		return false;
	}
	for (size_t k = 0; k < out->n; k++) {
		const struct sym_frame *f = &out->frames[k];
		if (!f->function || !f->path || f->line <= 0)
			return false;
	}
	return out->n != 0;
}

/* The name an unnamed native frame may still have (a symbol without line information, whose
 * operator new may be renamed operator new[] by its caller): compared with its address. */
static const char *native_symbol(const struct sym_stack *v)
{
	return v->n ? v->frames[v->n - 1].function : NULL;
}

/* A native frame's hash: by module and address, or by module and the names of native_named.
 * A coarse one names nothing: by module alone where the module has lines (its frames may be
 * named), else by module and address as well, which two frames that read the same share. */
static uint64_t native_hash(struct merge_ctx *c, const struct model_stack *s, uint32_t i)
{
	uint64_t h = str_hash(module_path(c, s, i));
	if (c->coarse) {
		const struct model_module *m = model_proc_frame_module(c->p, s, i);
		return m && c->sym && symbolizer_has_lines(c->sym, m) ? h : mix(h, s->frames[i]);
	}
	if (!native_named(c, s, i, &c->x))
		return mix(h, s->frames[i] ^ str_hash(native_symbol(&c->x)));
	for (size_t k = 0; k < c->x.n; k++) {
		const struct sym_frame *f = &c->x.frames[k];
		h = mix(h, str_hash(f->function) ^ str_hash(f->path) * 3 ^
		               (uint64_t)(uint32_t)f->line << 17 ^ f->inlined);
	}
	return h;
}

static bool native_same(struct merge_ctx *c, const struct model_stack *x, uint32_t i,
                        const struct model_stack *y, uint32_t j)
{
	if (!str_eq(module_path(c, x, i), module_path(c, y, j)))
		return false;
	bool nx = native_named(c, x, i, &c->x), ny = native_named(c, y, j, &c->y);
	if (nx != ny)
		return false;
	if (!nx)
		return x->frames[i] == y->frames[j] &&
		       str_eq(native_symbol(&c->x), native_symbol(&c->y));
	if (c->x.n != c->y.n)
		return false;
	for (size_t k = 0; k < c->x.n; k++) {
		const struct sym_frame *a = &c->x.frames[k], *b = &c->y.frames[k];
		if (a->line != b->line || a->inlined != b->inlined ||
		    !str_eq(a->function, b->function) || !str_eq(a->path, b->path))
			return false;
	}
	return true;
}

/* Frame i of s as the reader sees it: its hash, and 0 (native), 1 (Python) or 2 (JS). */
static int frame_view(struct merge_ctx *c, const struct model_stack *s, uint32_t i, uint64_t *h)
{
	const struct model_pycode *pc;
	int line;
	const struct model_jscode *js;
	if (py_frame(c->p, s->frames[i], &pc, &line)) {
		*h = str_hash(pc->qualname) ^ str_hash(pc->filename) * 3 ^
		     (uint64_t)(uint32_t)line << 17;
		return 1;
	}
	if ((js = js_frame(c->p, s, i)) != NULL) {
		*h = str_hash(js->function) ^ str_hash(js->path) * 7 ^
		     (uint64_t)(uint32_t)js->line << 19 ^ js->stub;
		return 2;
	}
	*h = native_hash(c, s, i);
	return 0;
}

/* The index of s's first Python or JavaScript frame, or n_frames. */
static uint32_t first_interpreted(const struct model_proc *p, const struct model_stack *s)
{
	for (uint32_t i = 0; i < s->n_frames; i++)
		if (frame_lang(p, s, i))
			return i;
	return s->n_frames;
}

/* The interpreter's module in a stack whose first interpreted frame (index k) is a Python one:
 * that of the native frame right after its first run of Python frames (the caller of the
 * evaluation loop those replaced), or MODEL_NO_MODULE (a JavaScript stack, a stack cut after
 * its Python frames, a frame in no module). */
static uint32_t py_interp_module(const struct model_proc *p, const struct model_stack *s,
                                 uint32_t k)
{
	const struct model_pycode *c;
	int line;
	if (k >= s->n_frames || !py_frame(p, s->frames[k], &c, &line))
		return MODEL_NO_MODULE;
	uint32_t i = k + 1;
	while (i < s->n_frames && py_frame(p, s->frames[i], &c, &line))
		i++;
	return i < s->n_frames ? s->frame_module[i] : MODEL_NO_MODULE;
}

/* Frame i of s, before its first interpreted frame, is the interpreter's own (interp from
 * py_interp_module): not part of the site. */
static bool leaf_skipped(const struct model_stack *s, uint32_t i, uint32_t interp)
{
	return interp != MODEL_NO_MODULE && s->frame_module[i] == interp;
}

/* A stack with Python or JavaScript frames is the same site as another when the frames up to
 * its first interpreted one are the same (a Python stack's own interpreter frames there
 * skipped) and so are its interpreted frames: the native frames between and below those are
 * the interpreter's (CPython 3.11's adaptive interpreter calls one line through different C
 * paths on its first calls, an asyncio task resumes through different _asyncio entries) and
 * are skipped, as in stacks_same(). Only the frames compared are symbolized. */
static uint64_t stack_key(struct merge_ctx *c, uint32_t id)
{
	const struct model_stack *s = model_proc_stack(c->p, id);
	if (!s)
		return mix(0x9e3779b97f4a7c15ull, 0xffffffffu);
	uint32_t k = first_interpreted(c->p, s);
	uint32_t interp = py_interp_module(c->p, s, k);
	uint64_t h = mix(0x9e3779b97f4a7c15ull, k < s->n_frames ? 0x1234567u : s->n_frames);
	for (uint32_t i = 0; i < s->n_frames; i++) {
		uint64_t v;
		if (frame_lang(c->p, s, i) || i == k || (i < k && !leaf_skipped(s, i, interp))) {
			frame_view(c, s, i, &v);
			h = mix(h, v);
		}
	}
	return h;
}

/* Frames i of x and j of y read the same (the views of frame_view). */
static bool frame_same(struct merge_ctx *c, const struct model_stack *x, uint32_t i,
                       const struct model_stack *y, uint32_t j)
{
	const struct model_pycode *cx, *cy;
	int lx, ly;
	bool px = py_frame(c->p, x->frames[i], &cx, &lx);
	bool py = py_frame(c->p, y->frames[j], &cy, &ly);
	if (px != py)
		return false;
	if (px)
		return lx == ly && str_eq(cx->qualname, cy->qualname) &&
		       str_eq(cx->filename, cy->filename);
	const struct model_jscode *jx = js_frame(c->p, x, i), *jy = js_frame(c->p, y, j);
	if (jx || jy)
		return jx && jy && js_same(jx, jy);
	return native_same(c, x, i, y, j);
}

static bool stacks_same(struct merge_ctx *c, uint32_t a, uint32_t b)
{
	if (a == b)
		return true;
	const struct model_proc *p = c->p;
	const struct model_stack *x = model_proc_stack(p, a), *y = model_proc_stack(p, b);
	if (!x || !y)
		return false;
	uint32_t kx = first_interpreted(p, x), ky = first_interpreted(p, y);
	if ((kx == x->n_frames) != (ky == y->n_frames))
		return false;
	if (kx == x->n_frames) { /* native only: every frame */
		if (x->n_frames != y->n_frames)
			return false;
		for (uint32_t i = 0; i < x->n_frames; i++)
			if (!frame_same(c, x, i, y, i))
				return false;
		return true;
	}
	/* Up to the first interpreted frame: every frame but a Python stack's interpreter
	 * frames. */
	uint32_t ix = py_interp_module(p, x, kx), iy = py_interp_module(p, y, ky);
	uint32_t i = 0, j = 0;
	for (;;) {
		while (i < kx && leaf_skipped(x, i, ix))
			i++;
		while (j < ky && leaf_skipped(y, j, iy))
			j++;
		if ((i == kx) != (j == ky) || !frame_same(c, x, i, y, j))
			return false;
		if (i == kx)
			break;
		i++;
		j++;
	}
	/* Past the first interpreted frame: the interpreted frames, in order. */
	i = kx + 1;
	j = ky + 1;
	for (;;) {
		while (i < x->n_frames && !frame_lang(p, x, i))
			i++;
		while (j < y->n_frames && !frame_lang(p, y, j))
			j++;
		if (i == x->n_frames || j == y->n_frames)
			return i == x->n_frames && j == y->n_frames;
		if (!frame_same(c, x, i, y, j))
			return false;
		i++;
		j++;
	}
}

static bool group_same(const struct finding *a, const struct finding *b)
{
	return a->kind == b->kind && str_eq(a->fd_type, b->fd_type) && str_eq(a->state, b->state) &&
	       str_eq(a->api, b->api);
}

static void add_members(const char **list, uint32_t *n, uint32_t *more, const char *const *from,
                        uint32_t from_n, uint32_t from_more)
{
	for (uint32_t i = 0; i < from_n; i++) {
		bool seen = false;
		for (uint32_t j = 0; j < *n && !seen; j++)
			seen = str_eq(list[j], from[i]);
		if (seen)
			continue;
		if (*n < FINDING_MEMBERS)
			list[(*n)++] = from[i];
		else
			(*more)++;
	}
	*more += from_more;
}

static int fold(struct finding *d, const struct finding *s)
{
	d->bytes += s->bytes;
	d->count += s->count;
	d->held_bytes += s->held_bytes;
	d->held_count += s->held_count;
	for (uint32_t i = 0; i < s->n_ids; i++)
		if (finding_add_id(d, s->ids[i]) != 0)
			return -1;
	d->inherited_by_exec |= s->inherited_by_exec;
	add_members(d->paths, &d->n_paths, &d->more_paths, s->paths, s->n_paths, s->more_paths);
	add_members(d->peers, &d->n_peers, &d->more_peers, s->peers, s->n_peers, s->more_peers);
	if (!d->path)
		d->path = s->path;
	if (!d->peer)
		d->peer = s->peer;
	struct finding_trend *t = &d->trend;
	const struct finding_trend *u = &s->trend;
	if (u->growing || t->growing) {
		if (!t->growing) {
			t->p_value = u->p_value;
			t->tau = u->tau;
			t->eta_s = u->eta_s;
		} else if (u->growing) {
			t->p_value = u->p_value < t->p_value ? u->p_value : t->p_value;
			t->tau = u->tau > t->tau ? u->tau : t->tau;
			if (u->eta_s >= 0 && (t->eta_s < 0 || u->eta_s < t->eta_s))
				t->eta_s = u->eta_s;
		}
		t->growing = true;
	}
	t->bytes_per_sec += u->bytes_per_sec;
	t->count_per_sec += u->count_per_sec;
	t->first_bytes += u->first_bytes;
	t->last_bytes += u->last_bytes;
	t->first_count += u->first_count;
	t->last_count += u->last_count;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* A finding that took others in lists its ids (descriptors, pids, tids, temp files in the
 * order made) in order again, and a temp file group its first paths. */
static void in_order(struct finding *d, const struct model_proc *p)
{
	if (d->n_ids > 1)
		qsort(d->ids, d->n_ids, sizeof(*d->ids), cmp_u32);
	if (d->kind != FINDING_TEMPFILE)
		return;
	d->n_paths = d->more_paths = 0;
	for (uint32_t i = 0; i < d->n_ids && d->ids[i] < p->n_tempfiles; i++) {
		if (d->n_paths < FINDING_MEMBERS)
			d->paths[d->n_paths++] = p->tempfiles[d->ids[i]].path;
		else
			d->more_paths++;
	}
	if (d->n_paths)
		d->path = d->paths[0];
}

/* The key of finding f: its kind, descriptor type, state and API, and its stack's. */
static uint64_t finding_key(struct merge_ctx *c, const struct finding *f)
{
	uint64_t key = mix(stack_key(c, f->stack_id), (uint64_t)f->kind + 1);
	return mix(key, str_hash(f->fd_type) ^ str_hash(f->state) * 3 ^ str_hash(f->api) * 5);
}

int analyze_merge_same(struct analysis_proc *ap, struct symbolizer *sym)
{
	struct finding_list *l = &ap->findings;
	const struct model_proc *p = ap->proc;
	struct merge_ctx c = {.p = p, .sym = sym};
	struct hashmap first = {0};  /* key of kind and stack text -> index of the first */
	struct hashmap coarse = {0}; /* coarse key -> findings with it (at most 2 counted) */
	uint8_t *gone = calloc(l->n ? l->n : 1, 1); /* 1: folded into another, 2: took one in,
	                                             * 3: alone under its coarse key */
	if (!gone)
		return -1;
	int rc = 0;
	bool any = false;
	/* Naming frames is the costly part (a symbol table lookup can scan the whole table), so
	 * only findings that share their coarse key with another are named and compared. */
	c.coarse = true;
	for (size_t i = 0; i < l->n && rc == 0 && sym; i++) {
		uint32_t n = 0;
		if (!l->items[i].stack_id)
			continue;
		uint64_t key = finding_key(&c, &l->items[i]);
		if (!hashmap_get(&coarse, key, &n) || n < 2)
			rc = hashmap_put(&coarse, key, n + 1);
	}
	for (size_t i = 0; i < l->n && rc == 0 && sym; i++) {
		uint32_t n = 0;
		if (l->items[i].stack_id &&
		    hashmap_get(&coarse, finding_key(&c, &l->items[i]), &n) && n < 2)
			gone[i] = 3;
	}
	c.coarse = false;
	for (size_t i = 0; i < l->n && rc == 0 && !c.failed; i++) {
		struct finding *f = &l->items[i];
		if (!f->stack_id || gone[i] == 3)
			continue;
		uint64_t key = finding_key(&c, f);
		uint32_t j;
		/* A 64-bit key collision between different texts keeps the later one apart. */
		if (hashmap_get(&first, key, &j)) {
			struct finding *d = &l->items[j];
			if (group_same(d, f) && stacks_same(&c, d->stack_id, f->stack_id)) {
				rc = fold(d, f);
				gone[i] = 1;
				gone[j] = 2;
				any = true;
			}
			continue;
		}
		rc = hashmap_put(&first, key, (uint32_t)i);
	}
	if (rc == 0 && any) {
		size_t k = 0;
		for (size_t i = 0; i < l->n; i++) {
			if (gone[i] == 1) {
				free(l->items[i].ids);
				continue;
			}
			if (gone[i] == 2)
				in_order(&l->items[i], p);
			l->items[k++] = l->items[i];
		}
		l->n = k;
	}
	free(gone);
	hashmap_fini(&first);
	hashmap_fini(&coarse);
	sym_stack_fini(&c.x);
	sym_stack_fini(&c.y);
	return rc != 0 || c.failed ? -1 : 0;
}
