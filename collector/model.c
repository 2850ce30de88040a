/* SPDX-License-Identifier: MIT */
/* model.c - applies decoded trace records to a struct model_proc (see model.h), in file
 * order, and answers the lookups the analyses need. Everything here trusts only what
 * trace_reader.c has already bounded (ids < 2^32, frames <= 256, strings <= 64 KiB); record
 * contents that are merely inconsistent (a SITE for an unknown stack, a close of a descriptor
 * never opened) are tolerated, never fatal: a report from an odd trace beats no report. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "array.h"

static char *dup_str(struct trace_str s)
{
	char *d = malloc(s.len + 1);
	if (!d)
		return NULL;
	if (s.len)
		memcpy(d, s.p, s.len);
	d[s.len] = '\0';
	return d;
}

struct model *model_create(void)
{
	return calloc(1, sizeof(struct model));
}

static void proc_free(struct model_proc *p)
{
	if (!p)
		return;
	free(p->trace_path);
	free(p->exe);
	for (uint32_t i = 0; i < p->argc; i++)
		free(p->argv[i]);
	free(p->argv);
	free(p->exec_path);
	for (uint32_t i = 0; i < p->n_modules; i++) {
		free(p->modules[i].path);
		free(p->modules[i].build_id);
	}
	free(p->modules);
	for (uint32_t i = 0; i < p->n_stacks; i++) {
		free(p->stacks[i].frames);
		free(p->stacks[i].frame_module);
		free(p->stacks[i].points);
	}
	free(p->stacks);
	hashmap_fini(&p->stack_index);
	free(p->snaps);
	free(p->blocks);
	for (uint32_t i = 0; i < p->n_fds; i++) {
		free(p->fds[i].path);
		free(p->fds[i].peer);
		free(p->fds[i].api);
	}
	free(p->fds);
	hashmap_fini(&p->fd_index);
	for (uint32_t i = 0; i < p->n_children; i++) {
		free(p->children[i].api);
		free(p->children[i].cmd);
	}
	free(p->children);
	hashmap_fini(&p->child_index);
	free(p->threads);
	hashmap_fini(&p->thread_index);
	for (uint32_t i = 0; i < p->n_tempfiles; i++) {
		free(p->tempfiles[i].path);
		free(p->tempfiles[i].api);
	}
	free(p->tempfiles);
	free(p->preexisting);
	model_py_free(p);
	model_js_free(p);
	free(p);
}

void model_destroy(struct model *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->n_procs; i++)
		proc_free(m->procs[i]);
	free(m->procs);
	free(m);
}

struct model_proc *model_add_proc(struct model *m, const char *trace_path)
{
	if (array_grow((void **)&m->procs, &m->cap_procs, (size_t)m->n_procs + 1,
	               sizeof(*m->procs)) != 0)
		return NULL;
	struct model_proc *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->trace_path = strdup(trace_path ? trace_path : "");
	if (!p->trace_path) {
		free(p);
		return NULL;
	}
	m->procs[m->n_procs++] = p;
	return p;
}

void model_drop_last_proc(struct model *m)
{
	if (m->n_procs)
		proc_free(m->procs[--m->n_procs]);
}

/* Index of stack id, creating an empty entry if absent; -1 on out of memory. */
static int64_t stack_slot(struct model_proc *p, uint32_t id)
{
	uint32_t idx;
	if (hashmap_get(&p->stack_index, id, &idx))
		return idx;
	if (array_grow((void **)&p->stacks, &p->cap_stacks, (size_t)p->n_stacks + 1,
	               sizeof(*p->stacks)) != 0)
		return -1;
	idx = p->n_stacks;
	if (hashmap_put(&p->stack_index, id, idx) != 0)
		return -1;
	memset(&p->stacks[idx], 0, sizeof(p->stacks[idx]));
	p->stacks[idx].id = id;
	p->n_stacks++;
	return idx;
}

/* The most recent module, in file order so far, whose [lo, hi) holds addr (FORMAT.md 3). */
static uint32_t module_for(const struct model_proc *p, uint64_t addr)
{
	for (uint32_t i = p->n_modules; i-- > 0;) {
		if (addr >= p->modules[i].lo && addr < p->modules[i].hi)
			return i;
	}
	return MODEL_NO_MODULE;
}

static int apply_process(struct model_proc *p, const struct trace_record *r)
{
	if (p->have_process)
		return 0; /* only the first one counts */
	p->have_process = true;
	p->pid = (uint32_t)r->u.process.pid;
	p->ppid = (uint32_t)r->u.process.ppid;
	p->start_ns = r->u.process.start_ns;
	p->flags = r->u.process.flags;
	p->interval_ms = r->u.process.interval_ms;
	p->sample_bytes = r->u.process.sample_bytes;
	p->depth = r->u.process.depth;
	p->exe = dup_str(r->u.process.exe);
	p->argv = calloc(r->u.process.argc ? r->u.process.argc : 1, sizeof(char *));
	if (!p->exe || !p->argv)
		return -1;
	for (uint32_t i = 0; i < r->u.process.argc; i++) {
		p->argv[i] = dup_str(r->u.process.argv[i]);
		if (!p->argv[i])
			return -1;
		p->argc = i + 1;
	}
	return 0;
}

static int apply_module(struct model_proc *p, const struct trace_record *r)
{
	if (array_grow((void **)&p->modules, &p->cap_modules, (size_t)p->n_modules + 1,
	               sizeof(*p->modules)) != 0)
		return -1;
	struct model_module *mod = &p->modules[p->n_modules];
	memset(mod, 0, sizeof(*mod));
	mod->id = (uint32_t)r->u.module.id;
	mod->base = r->u.module.base;
	mod->lo = r->u.module.lo;
	mod->hi = r->u.module.hi;
	mod->t_ns = r->u.module.t_ns;
	mod->flags = (uint32_t)r->u.module.flags;
	mod->has_flags = r->u.module.has_flags;
	mod->path = dup_str(r->u.module.path);
	mod->build_id_len = r->u.module.build_id.len;
	mod->build_id = malloc(mod->build_id_len ? mod->build_id_len : 1);
	if (!mod->path || !mod->build_id) {
		free(mod->path);
		free(mod->build_id);
		return -1;
	}
	if (mod->build_id_len)
		memcpy(mod->build_id, r->u.module.build_id.p, mod->build_id_len);
	p->n_modules++;
	return 0;
}

static int apply_stack(struct model_proc *p, const struct trace_record *r)
{
	int64_t idx = stack_slot(p, (uint32_t)r->u.stack.id);
	if (idx < 0)
		return -1;
	struct model_stack *s = &p->stacks[idx];
	if (s->defined)
		return 0; /* ids are never redefined by a correct writer: keep the first */
	uint32_t n = r->u.stack.n;
	s->frames = malloc((n ? n : 1) * sizeof(*s->frames));
	s->frame_module = malloc((n ? n : 1) * sizeof(*s->frame_module));
	if (!s->frames || !s->frame_module)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		s->frames[i] = r->u.stack.frames[i];
		s->frame_module[i] = module_for(p, s->frames[i]);
	}
	s->n_frames = n;
	s->defined = true;
	return 0;
}

static int apply_snapshot(struct model_proc *p, const struct trace_record *r)
{
	if (array_grow((void **)&p->snaps, &p->cap_snaps, (size_t)p->n_snaps + 1,
	               sizeof(*p->snaps)) != 0)
		return -1;
	struct model_snapshot *sn = &p->snaps[p->n_snaps++];
	sn->seq = r->u.snapshot.seq;
	sn->t_ns = r->u.snapshot.t_ns;
	sn->rss_bytes = r->u.snapshot.rss_bytes;
	sn->live_bytes = r->u.snapshot.live_bytes;
	sn->live_blocks = r->u.snapshot.live_blocks;
	sn->total_allocs = r->u.snapshot.total_allocs;
	sn->total_frees = r->u.snapshot.total_frees;
	sn->total_alloc_bytes = r->u.snapshot.total_alloc_bytes;
	sn->dropped_events = r->u.snapshot.dropped_events;
	sn->flags = r->u.snapshot.flags;
	p->have_final = (sn->flags & TRACE_SNAP_FINAL) != 0;
	/* A snapshot after END: the exec it recorded failed and the process went on. */
	p->have_end = false;
	if (p->have_final)
		p->n_blocks = 0; /* a later final snapshot (after exec) supersedes */
	return 0;
}

static int apply_site(struct model_proc *p, const struct trace_record *r)
{
	if (!p->n_snaps)
		return 0; /* a SITE belongs to the preceding SNAPSHOT; none yet */
	int64_t idx = stack_slot(p, (uint32_t)r->u.site.stack_id);
	if (idx < 0)
		return -1;
	struct model_stack *s = &p->stacks[idx];
	s->live_bytes = r->u.site.live_bytes;
	s->live_count = r->u.site.live_count;
	s->total_allocs = r->u.site.total_allocs;
	s->total_frees = r->u.site.total_frees;
	s->total_alloc_bytes = r->u.site.total_alloc_bytes;

	uint32_t snap = p->n_snaps - 1;
	struct model_point *last = s->n_points ? &s->points[s->n_points - 1] : NULL;
	if (last && last->snap == snap) {
		last->live_bytes = s->live_bytes;
		last->live_count = s->live_count;
		return 0;
	}
	uint64_t prev_b = last ? last->live_bytes : 0, prev_c = last ? last->live_count : 0;
	if (prev_b == s->live_bytes && prev_c == s->live_count)
		return 0;
	if (array_grow((void **)&s->points, &s->cap_points, (size_t)s->n_points + 1,
	               sizeof(*s->points)) != 0)
		return -1;
	s->points[s->n_points++] = (struct model_point){snap, s->live_bytes, s->live_count};
	return 0;
}

static int apply_block(struct model_proc *p, const struct trace_record *r)
{
	if (!p->have_final)
		return 0; /* BLOCKs only follow a final SNAPSHOT */
	if (p->n_blocks == p->cap_blocks) {
		size_t ncap = p->cap_blocks ? p->cap_blocks * 2 : 256;
		struct model_block *nb = realloc(p->blocks, ncap * sizeof(*nb));
		if (!nb)
			return -1;
		p->blocks = nb;
		p->cap_blocks = ncap;
	}
	p->blocks[p->n_blocks++] =
	    (struct model_block){r->u.block.addr, r->u.block.size, (uint32_t)r->u.block.stack_id,
	                         (uint32_t)(r->u.block.flags & 0xffffffffu), r->u.block.owner};
	return 0;
}

static uint64_t fd_key(uint64_t fd, uint64_t gen)
{
	return fd << 32 | gen;
}

static int apply_fd_open(struct model_proc *p, const struct trace_record *r)
{
	uint64_t key = fd_key(r->u.fd_open.fd, r->u.fd_open.gen);
	uint32_t idx;
	struct model_fd *f;
	if (hashmap_get(&p->fd_index, key, &idx) && !p->fds[idx].closed) {
		f = &p->fds[idx]; /* a new description of an open descriptor */
		free(f->path);
		free(f->peer);
		free(f->api);
	} else {
		if (array_grow((void **)&p->fds, &p->cap_fds, (size_t)p->n_fds + 1,
		               sizeof(*p->fds)) != 0)
			return -1;
		idx = p->n_fds;
		if (hashmap_put(&p->fd_index, key, idx) != 0)
			return -1;
		f = &p->fds[p->n_fds++];
		memset(f, 0, sizeof(*f));
		f->open_snap = p->n_snaps; /* a chunk's FD_OPEN records precede its SNAPSHOT */
	}
	f->fd = (uint32_t)r->u.fd_open.fd;
	f->gen = (uint32_t)r->u.fd_open.gen;
	f->type = r->u.fd_open.type < TRACE_FD_NTYPES ? (uint32_t)r->u.fd_open.type
	                                              : (uint32_t)TRACE_FD_OTHER;
	f->flags = (uint32_t)(r->u.fd_open.flags & 0xffffffffu);
	f->stack_id = (uint32_t)r->u.fd_open.stack_id;
	f->t_ns = r->u.fd_open.t_ns;
	f->path = dup_str(r->u.fd_open.path);
	f->peer = dup_str(r->u.fd_open.peer);
	f->api = dup_str(r->u.fd_open.api);
	if (!f->path || !f->peer || !f->api)
		return -1;
	return 0;
}

static int apply_fd_close(struct model_proc *p, const struct trace_record *r)
{
	uint32_t idx;
	if (hashmap_get(&p->fd_index, fd_key(r->u.fd_close.fd, r->u.fd_close.gen), &idx) &&
	    !p->fds[idx].closed) {
		p->fds[idx].closed = true;
		p->fds[idx].close_t_ns = r->u.fd_close.t_ns;
	}
	return 0;
}

static int apply_child(struct model_proc *p, const struct trace_record *r)
{
	uint32_t pid = (uint32_t)r->u.child.pid, idx;
	struct model_child *c = NULL;
	/* Same pid and spawn time: a state change. Otherwise (pid reuse) a new child. */
	if (hashmap_get(&p->child_index, pid, &idx) && p->children[idx].t_ns == r->u.child.t_ns)
		c = &p->children[idx];
	if (!c) {
		if (array_grow((void **)&p->children, &p->cap_children, (size_t)p->n_children + 1,
		               sizeof(*p->children)) != 0)
			return -1;
		idx = p->n_children;
		if (hashmap_put(&p->child_index, pid, idx) != 0)
			return -1;
		c = &p->children[p->n_children++];
		memset(c, 0, sizeof(*c));
	}
	free(c->api);
	free(c->cmd);
	c->pid = pid;
	c->stack_id = (uint32_t)r->u.child.stack_id;
	c->t_ns = r->u.child.t_ns;
	c->state = (uint32_t)(r->u.child.state & 0xffffffffu);
	c->state_snap = p->n_snaps; /* a chunk's CHILD records precede its SNAPSHOT */
	if (r->u.child.has_wstatus && r->u.child.wstatus <= 0xffff) {
		c->have_wstatus = true;
		c->wstatus = (int)r->u.child.wstatus;
	}
	c->api = dup_str(r->u.child.api);
	c->cmd = dup_str(r->u.child.cmd);
	if (!c->api || !c->cmd)
		return -1;
	return 0;
}

static int apply_thread(struct model_proc *p, const struct trace_record *r)
{
	uint32_t tid = (uint32_t)r->u.thread.tid, idx;
	struct model_thread *t = NULL;
	if (hashmap_get(&p->thread_index, tid, &idx) && p->threads[idx].t_ns == r->u.thread.t_ns)
		t = &p->threads[idx];
	if (!t) {
		if (array_grow((void **)&p->threads, &p->cap_threads, (size_t)p->n_threads + 1,
		               sizeof(*p->threads)) != 0)
			return -1;
		idx = p->n_threads;
		if (hashmap_put(&p->thread_index, tid, idx) != 0)
			return -1;
		t = &p->threads[p->n_threads++];
	}
	t->tid = tid;
	t->stack_id = (uint32_t)r->u.thread.stack_id;
	t->t_ns = r->u.thread.t_ns;
	t->state = (uint32_t)(r->u.thread.state & 0xffffffffu);
	t->state_snap = p->n_snaps;
	return 0;
}

static int apply_tempfile(struct model_proc *p, const struct trace_record *r)
{
	struct trace_str path = r->u.tempfile.path;
	struct model_tempfile *t = NULL;
	/* Temp files are few; the latest entry with the same path is the same file. */
	for (uint32_t i = p->n_tempfiles; i-- > 0;) {
		if (strlen(p->tempfiles[i].path) == path.len &&
		    memcmp(p->tempfiles[i].path, path.p, path.len) == 0) {
			t = &p->tempfiles[i];
			break;
		}
	}
	if (!t || (t->state == TRACE_TEMP_REMOVED && t->t_ns != r->u.tempfile.t_ns)) {
		if (array_grow((void **)&p->tempfiles, &p->cap_tempfiles,
		               (size_t)p->n_tempfiles + 1, sizeof(*p->tempfiles)) != 0)
			return -1;
		t = &p->tempfiles[p->n_tempfiles++];
		memset(t, 0, sizeof(*t));
		t->path = dup_str(path);
		if (!t->path)
			return -1;
	}
	free(t->api);
	t->stack_id = (uint32_t)r->u.tempfile.stack_id;
	t->t_ns = r->u.tempfile.t_ns;
	t->state = (uint32_t)(r->u.tempfile.state & 0xffffffffu);
	t->api = dup_str(r->u.tempfile.api);
	return t->api ? 0 : -1;
}

static int apply_exec(struct model_proc *p, const struct trace_record *r)
{
	p->have_exec = true;
	p->exec_t_ns = r->u.exec.t_ns;
	free(p->exec_path);
	p->exec_path = dup_str(r->u.exec.path);
	if (!p->exec_path)
		return -1;
	for (uint32_t i = 0; i < p->n_fds; i++) {
		struct model_fd *f = &p->fds[i];
		if (!f->closed && !(f->flags & TRACE_FD_CLOEXEC))
			f->open_at_exec = true;
	}
	return 0;
}

static void apply_scan(struct model_proc *p, const struct trace_record *r)
{
	p->have_scan = true;
	p->scan_flags = r->u.scan.flags;
	p->scan_stopped = r->u.scan.threads_stopped;
	p->scan_missed = r->u.scan.threads_missed;
	p->scan_anon_bytes = r->u.scan.anon_bytes;
	p->n_scan_threads = 0;
}

static void apply_scan_thread(struct model_proc *p, const struct trace_record *r)
{
	if (p->n_scan_threads == MODEL_SCAN_THREADS)
		return;
	struct model_scan_thread *t = &p->scan_threads[p->n_scan_threads++];
	t->tid = (uint32_t)r->u.scan_thread.tid;
	t->reason = (uint32_t)(r->u.scan_thread.reason & 0xffffffffu);
	size_t n = r->u.scan_thread.name.len < sizeof(t->name) - 1 ? r->u.scan_thread.name.len
	                                                           : sizeof(t->name) - 1;
	memcpy(t->name, r->u.scan_thread.name.p, n);
	t->name[n] = '\0';
}

static int apply_preexisting(struct model_proc *p, const struct trace_record *r)
{
	if (array_grow((void **)&p->preexisting, &p->cap_preexisting, (size_t)p->n_preexisting + 1,
	               sizeof(*p->preexisting)) != 0)
		return -1;
	struct model_preexisting *x = &p->preexisting[p->n_preexisting++];
	x->kind = (uint32_t)(r->u.preexisting.kind & 0xffffffffu);
	x->id = (uint32_t)r->u.preexisting.id;
	size_t n = r->u.preexisting.name.len < sizeof(x->name) - 1 ? r->u.preexisting.name.len
	                                                           : sizeof(x->name) - 1;
	memcpy(x->name, r->u.preexisting.name.p, n);
	x->name[n] = '\0';
	return 0;
}

int model_proc_apply(struct model_proc *p, const struct trace_record *r, struct err *e)
{
	int rc = 0;
	switch (r->tag) {
	case TRACE_TAG_PROCESS:
		rc = apply_process(p, r);
		break;
	case TRACE_TAG_MODULE:
		rc = apply_module(p, r);
		break;
	case TRACE_TAG_MODULE_UNLOAD:
		for (uint32_t i = p->n_modules; i-- > 0;) {
			if (p->modules[i].id == r->u.module_unload.id && !p->modules[i].unloaded) {
				p->modules[i].unloaded = true;
				p->modules[i].unload_t_ns = r->u.module_unload.t_ns;
				break;
			}
		}
		break;
	case TRACE_TAG_STACK:
		rc = apply_stack(p, r);
		break;
	case TRACE_TAG_SNAPSHOT:
		rc = apply_snapshot(p, r);
		break;
	case TRACE_TAG_SITE:
		rc = apply_site(p, r);
		break;
	case TRACE_TAG_BLOCK:
		rc = apply_block(p, r);
		break;
	case TRACE_TAG_FD_OPEN:
		rc = apply_fd_open(p, r);
		break;
	case TRACE_TAG_FD_CLOSE:
		rc = apply_fd_close(p, r);
		break;
	case TRACE_TAG_CHILD:
		rc = apply_child(p, r);
		break;
	case TRACE_TAG_THREAD:
		rc = apply_thread(p, r);
		break;
	case TRACE_TAG_TEMPFILE:
		rc = apply_tempfile(p, r);
		break;
	case TRACE_TAG_EXEC:
		rc = apply_exec(p, r);
		break;
	case TRACE_TAG_SCAN:
		apply_scan(p, r);
		break;
	case TRACE_TAG_SCAN_THREAD:
		apply_scan_thread(p, r);
		break;
	case TRACE_TAG_PY_CODE:
		rc = model_py_apply(p, r);
		break;
	case TRACE_TAG_PREEXISTING:
		rc = apply_preexisting(p, r);
		break;
	case TRACE_TAG_JS_CODE:
		rc = model_js_apply(p, r);
		break;
	case TRACE_TAG_END:
		p->have_end = true;
		p->end_t_ns = r->u.end.t_ns;
		p->end_reason = (uint32_t)(r->u.end.reason & 0xffffffffu);
		p->end_status = r->u.end.status;
		break;
	}
	return rc ? err_set(e, "out of memory") : 0;
}

const struct model_stack *model_proc_stack(const struct model_proc *p, uint32_t id)
{
	uint32_t idx;
	if (!hashmap_get(&p->stack_index, id, &idx))
		return NULL;
	return &p->stacks[idx];
}

const struct model_module *model_proc_frame_module(const struct model_proc *p,
                                                   const struct model_stack *s, uint32_t frame)
{
	if (frame >= s->n_frames || s->frame_module[frame] == MODEL_NO_MODULE)
		return NULL;
	return &p->modules[s->frame_module[frame]];
}

void model_stack_live_at(const struct model_stack *s, uint32_t snap, uint64_t *live_bytes,
                         uint64_t *live_count)
{
	/* Last point with point.snap <= snap. */
	uint32_t lo = 0, hi = s->n_points;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->points[mid].snap <= snap)
			lo = mid + 1;
		else
			hi = mid;
	}
	*live_bytes = lo ? s->points[lo - 1].live_bytes : 0;
	*live_count = lo ? s->points[lo - 1].live_count : 0;
}

uint64_t model_proc_end_ns(const struct model_proc *p)
{
	if (p->have_end)
		return p->start_ns + p->end_t_ns;
	if (p->n_snaps)
		return p->start_ns + p->snaps[p->n_snaps - 1].t_ns;
	return p->start_ns;
}

uint64_t model_proc_peak_live(const struct model_proc *p)
{
	uint64_t peak = 0;
	for (uint32_t i = 0; i < p->n_snaps; i++) {
		if (p->snaps[i].live_bytes > peak)
			peak = p->snaps[i].live_bytes;
	}
	return peak;
}
