/* SPDX-License-Identifier: MIT */
/* export_pprof.c - profile.proto writer. Field numbers follow google/pprof's
 * proto/profile.proto (Profile, ValueType, Sample, Label, Mapping, Location, Line,
 * Function). The Profile's repeated fields may come in any order on the wire, so samples,
 * locations and functions are appended as they are first met, mappings after each process
 * (their has_functions flag is known only then) and the string table last. One profile
 * holds every process of the run: mapping, location and function ids are global, and each
 * sample carries a "pid" label. */
#include "export_pprof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export_samples.h"
#include "hashmap.h"
#include "protobuf.h"
#include "strtab.h"

/* Profile fields. */
enum {
	PB_SAMPLE_TYPE = 1,
	PB_SAMPLE = 2,
	PB_MAPPING = 3,
	PB_LOCATION = 4,
	PB_FUNCTION = 5,
	PB_STRING_TABLE = 6,
	PB_TIME_NANOS = 9,
	PB_DURATION_NANOS = 10,
	PB_PERIOD_TYPE = 11,
	PB_PERIOD = 12,
	PB_COMMENT = 13,
	PB_DEFAULT_SAMPLE_TYPE = 14,
};

struct pprof {
	struct protobuf out, msg, sub, line; /* the Profile; scratch for nested messages */
	struct strtab strs;                  /* the string table; index 0 is "" */
	struct hashmap func_index;           /* name index << 32 | file index -> function id */
	uint64_t n_funcs, n_locs, n_maps;
};

/* Index of s in the string table, adding it when new; -1 on out of memory. */
static int64_t intern(struct pprof *pp, const char *s)
{
	return strtab_intern(&pp->strs, s);
}

static int value_type(struct pprof *pp, uint32_t field, const char *type, const char *unit)
{
	int64_t t = intern(pp, type), u = intern(pp, unit);
	if (t < 0 || u < 0)
		return -1;
	protobuf_reset(&pp->msg);
	protobuf_int64(&pp->msg, 1, t);
	protobuf_int64(&pp->msg, 2, u);
	protobuf_bytes(&pp->out, field, pp->msg.data, pp->msg.len);
	return 0;
}

/* Function id of (name, file), writing the Function message when new; 0 on out of memory. */
static uint64_t function_id(struct pprof *pp, const char *name, const char *file)
{
	int64_t n = intern(pp, name), fl = intern(pp, file);
	if (n < 0 || fl < 0)
		return 0;
	uint64_t key = (uint64_t)n << 32 | (uint64_t)fl;
	uint32_t id;
	if (hashmap_get(&pp->func_index, key, &id))
		return id;
	id = (uint32_t)++pp->n_funcs;
	if (hashmap_put(&pp->func_index, key, id) != 0)
		return 0;
	protobuf_reset(&pp->msg);
	protobuf_uint64(&pp->msg, 1, id);
	protobuf_int64(&pp->msg, 2, n);
	protobuf_int64(&pp->msg, 3, n);
	protobuf_int64(&pp->msg, 4, fl);
	protobuf_bytes(&pp->out, PB_FUNCTION, pp->msg.data, pp->msg.len);
	return id;
}

/* The module of p holding addr: the latest one in file order whose range contains it. */
static uint32_t module_of(const struct model_proc *p, uint64_t addr)
{
	for (uint32_t i = p->n_modules; i-- > 0;) {
		if (addr >= p->modules[i].lo && addr < p->modules[i].hi)
			return i;
	}
	return MODEL_NO_MODULE;
}

struct proc_state {
	const struct model_proc *p;
	uint64_t first_map;    /* mapping id of p->modules[0] */
	bool *has_functions;   /* per module: some frame in it was resolved */
	struct hashmap locs;   /* address -> location id */
	uint64_t *sample_locs; /* location ids of the current sample */
	size_t n_sample_locs, cap_sample_locs;
};

/* Location id for the frames [f, f + n) that share one return address (innermost first:
 * inlined callees before the function they were inlined into), writing it when new. */
static int location_id(struct pprof *pp, struct proc_state *ps, const struct sym_frame *fr,
                       size_t n, uint64_t *out)
{
	uint32_t id;
	if (hashmap_get(&ps->locs, fr->addr, &id)) {
		*out = id;
		return 0;
	}
	id = (uint32_t)++pp->n_locs;
	if (hashmap_put(&ps->locs, fr->addr, id) != 0)
		return -1;
	uint32_t mod = module_of(ps->p, fr->addr);
	/* Lines go into sub first: function_id() reuses msg for Function messages. */
	protobuf_reset(&pp->sub);
	for (size_t k = 0; k < n; k++) {
		char buf[512];
		const char *name = export_frame_name(&fr[k], buf, sizeof(buf));
		uint64_t fid = function_id(pp, name, fr[k].path ? fr[k].path : fr[k].file);
		if (!fid)
			return -1;
		if (fr[k].function && mod != MODEL_NO_MODULE)
			ps->has_functions[mod] = true;
		protobuf_reset(&pp->line);
		protobuf_uint64(&pp->line, 1, fid);
		protobuf_int64(&pp->line, 2, fr[k].line);
		protobuf_bytes(&pp->sub, 4, pp->line.data, pp->line.len);
	}
	protobuf_reset(&pp->msg);
	protobuf_uint64(&pp->msg, 1, id);
	if (mod != MODEL_NO_MODULE)
		protobuf_uint64(&pp->msg, 2, ps->first_map + mod);
	protobuf_uint64(&pp->msg, 3, fr->addr);
	protobuf_append(&pp->msg, &pp->sub);
	protobuf_bytes(&pp->out, PB_LOCATION, pp->msg.data, pp->msg.len);
	*out = id;
	return 0;
}

static int add_sample_loc(struct proc_state *ps, uint64_t id)
{
	if (ps->n_sample_locs == ps->cap_sample_locs) {
		size_t ncap = ps->cap_sample_locs ? ps->cap_sample_locs * 2 : 64;
		uint64_t *n = realloc(ps->sample_locs, ncap * sizeof(*n));
		if (!n)
			return -1;
		ps->sample_locs = n;
		ps->cap_sample_locs = ncap;
	}
	ps->sample_locs[ps->n_sample_locs++] = id;
	return 0;
}

static int write_sample(struct pprof *pp, struct proc_state *ps, const struct export_sample *r,
                        struct symbolizer *s, struct sym_stack *st, struct err *e)
{
	const struct model_stack *ms = r->stack_id ? model_proc_stack(ps->p, r->stack_id) : NULL;
	st->n = 0;
	if (ms && symbolizer_stack(s, ps->p, ms, st, e) != 0)
		return -1;
	ps->n_sample_locs = 0;
	for (size_t i = 0; i < st->n;) {
		size_t n = 1;
		while (i + n < st->n && st->frames[i + n].addr == st->frames[i].addr)
			n++;
		uint64_t id;
		if (location_id(pp, ps, &st->frames[i], n, &id) != 0 || add_sample_loc(ps, id) != 0)
			return err_set(e, "out of memory");
		i += n;
	}
	int64_t pid_key = intern(pp, "pid"), pid_unit = intern(pp, "pid");
	if (pid_key < 0 || pid_unit < 0)
		return err_set(e, "out of memory");
	protobuf_reset(&pp->msg);
	for (size_t i = 0; i < ps->n_sample_locs; i++)
		protobuf_uint64(&pp->msg, 1, ps->sample_locs[i]);
	protobuf_int64(&pp->msg, 2, (int64_t)r->live_bytes);
	protobuf_int64(&pp->msg, 2, (int64_t)r->live_count);
	protobuf_int64(&pp->msg, 2, (int64_t)r->growth_bytes);
	protobuf_reset(&pp->sub);
	protobuf_int64(&pp->sub, 1, pid_key);
	protobuf_int64(&pp->sub, 3, ps->p->pid);
	protobuf_bytes(&pp->msg, 3, pp->sub.data, pp->sub.len);
	protobuf_bytes(&pp->out, PB_SAMPLE, pp->msg.data, pp->msg.len);
	return 0;
}

static int write_mappings(struct pprof *pp, const struct proc_state *ps)
{
	const struct model_proc *p = ps->p;
	for (uint32_t i = 0; i < p->n_modules; i++) {
		const struct model_module *mod = &p->modules[i];
		char hex[2 * 64 + 1] = "";
		size_t n = mod->build_id_len < 64 ? mod->build_id_len : 64;
		for (size_t k = 0; k < n; k++)
			snprintf(hex + 2 * k, 3, "%02x", mod->build_id[k]);
		int64_t file = intern(pp, mod->path), bid = intern(pp, hex);
		if (file < 0 || bid < 0)
			return -1;
		protobuf_reset(&pp->msg);
		protobuf_uint64(&pp->msg, 1, ps->first_map + i);
		protobuf_uint64(&pp->msg, 2, mod->lo);
		protobuf_uint64(&pp->msg, 3, mod->hi);
		/* The ELF virtual address of lo: pprof maps addr to addr - start + offset. */
		protobuf_uint64(&pp->msg, 4, mod->lo - mod->base);
		protobuf_int64(&pp->msg, 5, file);
		protobuf_int64(&pp->msg, 6, bid);
		bool syms = ps->has_functions[i];
		protobuf_uint64(&pp->msg, 7, syms);
		protobuf_uint64(&pp->msg, 8, syms);
		protobuf_uint64(&pp->msg, 9, syms);
		protobuf_uint64(&pp->msg, 10, syms);
		protobuf_bytes(&pp->out, PB_MAPPING, pp->msg.data, pp->msg.len);
	}
	return 0;
}

static int write_header(struct pprof *pp, const struct analysis *a)
{
	if (intern(pp, "") != 0 || value_type(pp, PB_SAMPLE_TYPE, "inuse_space", "bytes") != 0 ||
	    value_type(pp, PB_SAMPLE_TYPE, "inuse_objects", "count") != 0 ||
	    value_type(pp, PB_SAMPLE_TYPE, "growth", "bytes") != 0 ||
	    value_type(pp, PB_PERIOD_TYPE, "space", "bytes") != 0)
		return -1;
	uint64_t start = 0, end = 0, period = 0;
	for (uint32_t i = 0; i < a->n_procs; i++) {
		const struct model_proc *p = a->procs[i].proc;
		uint64_t pe = model_proc_end_ns(p);
		if (!start || p->start_ns < start)
			start = p->start_ns;
		if (pe > end)
			end = pe;
		if (p->sample_bytes > period)
			period = p->sample_bytes;
	}
	protobuf_int64(&pp->out, PB_TIME_NANOS, (int64_t)start);
	protobuf_int64(&pp->out, PB_DURATION_NANOS, (int64_t)(end > start ? end - start : 0));
	protobuf_int64(&pp->out, PB_PERIOD, (int64_t)(period ? period : 1));
	int64_t c = intern(pp, "libleak: live heap at the end of the trace, growth from the "
	                       "first to the last snapshot of the window");
	int64_t d = intern(pp, "inuse_space");
	if (c < 0 || d < 0)
		return -1;
	protobuf_int64(&pp->out, PB_COMMENT, c);
	protobuf_int64(&pp->out, PB_DEFAULT_SAMPLE_TYPE, d);
	return 0;
}

static int write_proc(struct pprof *pp, const struct analysis *a, uint32_t pi,
                      const struct export_samples *rows, struct symbolizer *s, struct sym_stack *st,
                      struct err *e)
{
	struct proc_state ps = {.p = a->procs[pi].proc, .first_map = pp->n_maps + 1};
	ps.has_functions = calloc(ps.p->n_modules + 1, sizeof(bool));
	if (!ps.has_functions)
		return err_set(e, "out of memory");
	pp->n_maps += ps.p->n_modules;
	int rc = 0;
	for (size_t i = 0; i < rows->n && rc == 0; i++) {
		const struct export_sample *r = &rows->items[i];
		/* Stacks that only allocated (nothing live, no growth) are not in the profile. */
		if (r->proc == pi && (r->live_bytes || r->live_count || r->growth_bytes))
			rc = write_sample(pp, &ps, r, s, st, e);
	}
	if (rc == 0 && write_mappings(pp, &ps) != 0)
		rc = err_set(e, "out of memory");
	free(ps.has_functions);
	free(ps.sample_locs);
	hashmap_fini(&ps.locs);
	return rc;
}

int export_pprof_write(FILE *f, const struct analysis *a, const struct analyze_opts *o,
                       struct symbolizer *s, struct err *e)
{
	struct pprof pp = {0};
	struct export_samples rows = {0};
	struct sym_stack st = {0};
	uint8_t *gz = NULL;
	size_t gz_len = 0;
	int rc = export_samples_build(a, o, &rows, e);
	if (rc == 0 && write_header(&pp, a) != 0)
		rc = err_set(e, "out of memory");
	for (uint32_t i = 0; i < a->n_procs && rc == 0; i++)
		rc = write_proc(&pp, a, i, &rows, s, &st, e);
	for (size_t i = 0; i < pp.strs.n && rc == 0; i++)
		protobuf_string(&pp.out, PB_STRING_TABLE, pp.strs.v[i]);
	if (rc == 0 &&
	    (protobuf_failed(&pp.out) || protobuf_failed(&pp.msg) || protobuf_failed(&pp.sub) ||
	     protobuf_failed(&pp.line) || protobuf_gzip(&pp.out, &gz, &gz_len) != 0))
		rc = err_set(e, "out of memory while encoding the profile");
	if (rc == 0 && (fwrite(gz, 1, gz_len, f) != gz_len || fflush(f) != 0 || ferror(f)))
		rc = err_set(e, "write failed: %s", strerror(errno ? errno : EIO));
	free(gz);
	strtab_fini(&pp.strs);
	hashmap_fini(&pp.func_index);
	protobuf_fini(&pp.out);
	protobuf_fini(&pp.msg);
	protobuf_fini(&pp.sub);
	protobuf_fini(&pp.line);
	sym_stack_fini(&st);
	export_samples_fini(&rows);
	return rc;
}
