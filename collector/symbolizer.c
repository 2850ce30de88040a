/* SPDX-License-Identifier: MIT */
/* symbolizer.c - see symbolizer.h. Each distinct ELF file gets its own Dwfl holding that one
 * module reported at bias 0 (its link-time addresses), which sidesteps overlapping ranges
 * from dlclose/dlopen reuse and lets every process share one open file. The recorded
 * build-id must match the file on disk; if it does not, the build-id debug file under
 * debug_root is tried, and failing that the frame keeps module + offset (a wrong name is
 * worse than none). Inlined frames come from the DWARF scopes at the address, as
 * eu-addr2line -i does: each DW_TAG_inlined_subroutine is a frame whose location is the
 * line table's (innermost) or the call site of the scope inside it. */
#include "symbolizer.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "call_target.h"
#include "debuginfod.h"
#include "hashmap.h"
#include "trace_format.h"

/* One resolved frame, strings in the arena. */
struct resolved {
	const char *function, *file, *path;
	int line;
	bool inlined;
};

struct sym_file {
	char *path;
	uint8_t *build_id;
	size_t build_id_len;
	Dwfl *dwfl;       /* NULL when the file could not be used */
	Dwfl_Module *mod; /* its one module */
	int status;       /* SYM_FOUND, SYM_MISSING or SYM_MISMATCH (how the trace's path did) */
	char *found;      /* the file dwfl reads, wherever the search found it; NULL if none */
	uint32_t unnamed; /* distinct addresses left without a name (for the note) */
	int8_t lines;     /* symbolizer_has_lines(): 0 not asked yet, 1 yes, -1 no */
};

enum { SYM_FOUND, SYM_MISSING, SYM_MISMATCH };

struct cache_entry {
	uint32_t file;
	uint64_t vaddr;
	uint32_t first, n; /* into s->pool */
};

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	char data[];
};

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

struct symbolizer {
	bool use_dwarf;
	char *debug_root;
	struct sym_file *files;
	uint32_t n_files, cap_files;
	struct hashmap file_index; /* hash(path, build-id) -> file */
	struct resolved *pool;
	uint32_t n_pool, cap_pool;
	struct cache_entry *cache;
	uint32_t n_cache, cap_cache;
	struct hashmap cache_index; /* (file, vaddr) key -> cache entry */
	struct arena_block *arena;
	demangle_fn demangle;
	int demangle_status;
	void *libstdcxx;
	char **debug_dirs; /* --debug-dir, in the order given */
	uint32_t n_debug_dirs;
	struct debuginfod *dbgd; /* debuginfod.c; NULL until first needed */
	bool dbgd_tried;
};

static char *arena_strdup(struct symbolizer *s, const char *str)
{
	if (!str)
		return NULL;
	size_t n = strlen(str) + 1;
	struct arena_block *b = s->arena;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = s->arena;
		b->used = 0;
		b->cap = cap;
		s->arena = b;
	}
	char *d = b->data + b->used;
	memcpy(d, str, n);
	b->used += n;
	return d;
}

struct symbolizer *symbolizer_create(bool use_dwarf, const char *debug_root)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->use_dwarf = use_dwarf;
	s->debug_root = strdup(debug_root ? debug_root : "/usr/lib/debug");
	if (!s->debug_root) {
		free(s);
		return NULL;
	}
	/* C++ demangling only if libstdc++ is around: cheap, and no link-time dependency. */
	if (use_dwarf) {
		s->libstdcxx = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
		if (s->libstdcxx)
			*(void **)&s->demangle = dlsym(s->libstdcxx, "__cxa_demangle");
	}
	return s;
}

void symbolizer_destroy(struct symbolizer *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->n_files; i++) {
		if (s->files[i].dwfl)
			dwfl_end(s->files[i].dwfl);
		free(s->files[i].path);
		free(s->files[i].found);
		free(s->files[i].build_id);
	}
	free(s->files);
	hashmap_fini(&s->file_index);
	free(s->pool);
	free(s->cache);
	hashmap_fini(&s->cache_index);
	while (s->arena) {
		struct arena_block *n = s->arena->next;
		free(s->arena);
		s->arena = n;
	}
	if (s->libstdcxx)
		dlclose(s->libstdcxx);
	for (uint32_t i = 0; i < s->n_debug_dirs; i++)
		free(s->debug_dirs[i]);
	free(s->debug_dirs);
	debuginfod_destroy(s->dbgd);
	free(s->debug_root);
	free(s);
}

void sym_stack_fini(struct sym_stack *out)
{
	free(out->frames);
	out->frames = NULL;
	out->n = out->cap = 0;
}

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

/* Reports path at bias 0 into a fresh Dwfl; keeps it only if its build-id matches.
 * Returns SYM_FOUND, SYM_MISSING (no such readable file) or SYM_MISMATCH. */
static int try_open(struct sym_file *f, const char *path)
{
	if (access(path, R_OK) != 0)
		return SYM_MISSING;
	Dwfl *dwfl = dwfl_begin(&offline_callbacks);
	if (!dwfl)
		return SYM_MISSING;
	dwfl_report_begin(dwfl);
	Dwfl_Module *mod = dwfl_report_elf(dwfl, f->path, path, -1, 0, true);
	dwfl_report_end(dwfl, NULL, NULL);
	int rc = mod ? SYM_FOUND : SYM_MISSING;
	if (mod && f->build_id_len) {
		const unsigned char *bits;
		GElf_Addr vaddr;
		int n = dwfl_module_build_id(mod, &bits, &vaddr);
		if (n != (int)f->build_id_len || memcmp(bits, f->build_id, f->build_id_len) != 0)
			rc = SYM_MISMATCH;
	}
	if (rc != SYM_FOUND) {
		dwfl_end(dwfl);
		return rc;
	}
	f->dwfl = dwfl;
	f->mod = mod;
	f->found = strdup(path);
	return SYM_FOUND;
}

/* "DIR/.build-id/xx/yyyy" + suffix into a new string. */
static char *build_id_path(const char *dir, const struct sym_file *f, const char *suffix)
{
	size_t n = strlen(dir) + 16 + 2 * f->build_id_len + strlen(suffix);
	char *p = malloc(n);
	if (!p)
		return NULL;
	int k = snprintf(p, n, "%s/.build-id/%02x/", dir, f->build_id[0]);
	for (size_t i = 1; i < f->build_id_len && k > 0 && (size_t)k < n; i++)
		k += snprintf(p + k, n - (size_t)k, "%02x", f->build_id[i]);
	if (k > 0 && (size_t)k < n)
		snprintf(p + k, n - (size_t)k, "%s", suffix);
	return p;
}

static bool try_build_id_dir(struct sym_file *f, const char *dir, const char *suffix)
{
	char *p = build_id_path(dir, f, suffix);
	bool ok = p && try_open(f, p) == SYM_FOUND;
	free(p);
	return ok;
}

/* The module's file name in a --debug-dir: DIR/NAME, then DIR/NAME.debug. */
static bool try_named(struct sym_file *f, const char *dir)
{
	const char *b = strrchr(f->path, '/');
	b = b ? b + 1 : f->path;
	size_t n = strlen(dir) + strlen(b) + 8;
	char *p = malloc(n);
	if (!p)
		return false;
	snprintf(p, n, "%s/%s", dir, b);
	bool ok = try_open(f, p) == SYM_FOUND;
	if (!ok) {
		snprintf(p, n, "%s/%s.debug", dir, b);
		ok = try_open(f, p) == SYM_FOUND;
	}
	free(p);
	return ok;
}

/* The search order (README, "Symbols"): the trace's path when its build-id matches, the
 * system's build-id tree, each --debug-dir, then debuginfod when DEBUGINFOD_URLS is set. */
static void open_file(struct symbolizer *s, struct sym_file *f)
{
	if (!s->use_dwarf || f->path[0] != '/')
		return; /* [vdso] and other pseudo paths have no file */
	f->status = try_open(f, f->path);
	if (f->status == SYM_FOUND || !f->build_id_len)
		return;
	if (try_build_id_dir(f, s->debug_root, ".debug"))
		return;
	for (uint32_t i = 0; i < s->n_debug_dirs; i++) {
		if (try_build_id_dir(f, s->debug_dirs[i], ".debug") ||
		    try_build_id_dir(f, s->debug_dirs[i], "") || try_named(f, s->debug_dirs[i]))
			return;
	}
	if (!s->dbgd_tried) {
		s->dbgd_tried = true;
		s->dbgd = debuginfod_create();
	}
	char *path = NULL;
	if (s->dbgd && debuginfod_fetch(s->dbgd, f->build_id, f->build_id_len, false, &path) == 0) {
		bool ok = try_open(f, path) == SYM_FOUND;
		free(path);
		path = NULL;
		if (ok)
			return;
	}
	if (s->dbgd && debuginfod_fetch(s->dbgd, f->build_id, f->build_id_len, true, &path) == 0)
		try_open(f, path);
	free(path);
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* The sym_file for a module, opened on first use; UINT32_MAX on out of memory. */
static uint32_t file_for(struct symbolizer *s, const struct model_module *m)
{
	uint64_t key = hash_bytes(0xcbf29ce484222325ull, m->path, strlen(m->path) + 1);
	key = hash_bytes(key, m->build_id, m->build_id_len);
	uint32_t idx;
	if (hashmap_get(&s->file_index, key, &idx)) {
		struct sym_file *f = &s->files[idx];
		if (strcmp(f->path, m->path) == 0 && f->build_id_len == m->build_id_len &&
		    memcmp(f->build_id, m->build_id, m->build_id_len) == 0)
			return idx;
	}
	if (array_grow((void **)&s->files, &s->cap_files, (size_t)s->n_files + 1,
	               sizeof(*s->files)))
		return UINT32_MAX;
	struct sym_file *f = &s->files[s->n_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(m->path);
	f->build_id = malloc(m->build_id_len ? m->build_id_len : 1);
	if (!f->path || !f->build_id) {
		free(f->path);
		free(f->build_id);
		return UINT32_MAX;
	}
	memcpy(f->build_id, m->build_id, m->build_id_len);
	f->build_id_len = m->build_id_len;
	idx = s->n_files++;
	if (hashmap_put(&s->file_index, key, idx) != 0)
		return UINT32_MAX;
	open_file(s, f);
	return idx;
}

/* name, or its demangled form (then *to_free holds it) when it is a C++ symbol. */
static const char *demangle(struct symbolizer *s, const char *name, char **to_free)
{
	*to_free = NULL;
	if (name && s->demangle && name[0] == '_' && name[1] == 'Z') {
		/* status lives in s, not on the stack: cppcheck takes the returned pointer for
		 * one into a local passed to the unknown function otherwise. */
		s->demangle_status = -1;
		char *d = s->demangle(name, NULL, NULL, &s->demangle_status);
		if (d && s->demangle_status == 0) {
			*to_free = d;
			return d;
		}
		free(d);
	}
	return name;
}

static const char *die_name(struct symbolizer *s, Dwarf_Die *die, char **to_free)
{
	Dwarf_Attribute a;
	const char *name = NULL;
	*to_free = NULL;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		name = dwarf_formstring(&a);
	if (name)
		return demangle(s, name, to_free);
	if (dwarf_attr_integrate(die, DW_AT_name, &a))
		return dwarf_formstring(&a);
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *b = path ? strrchr(path, '/') : NULL;
	return b ? b + 1 : path;
}

static int push_resolved(struct symbolizer *s, const char *function, const char *path, int line,
                         bool inlined)
{
	if (array_grow((void **)&s->pool, &s->cap_pool, (size_t)s->n_pool + 1, sizeof(*s->pool)))
		return -1;
	struct resolved *r = &s->pool[s->n_pool];
	r->function = arena_strdup(s, function);
	r->path = arena_strdup(s, path);
	r->file = r->path ? base_name(r->path) : NULL;
	r->line = line;
	r->inlined = inlined;
	if ((function && !r->function) || (path && !r->path))
		return -1;
	s->n_pool++;
	return 0;
}

/* Appends the frames of vaddr (already minus 1) in file f to the pool. */
static int resolve(struct symbolizer *s, struct sym_file *f, uint64_t vaddr)
{
	Dwarf_Addr pc = vaddr, bias = 0;
	const char *src = NULL;
	int src_line = 0;
	bool have_outer = false;
	Dwarf_Die *cu = dwfl_module_addrdie(f->mod, pc, &bias);
	/* addrdie may return the nearest CU, not one holding pc (a gap without debug info). */
	if (cu && dwarf_haspc(cu, pc - bias) <= 0)
		cu = NULL;
	if (!cu) {
		/* elfutils < 0.189 finds CUs only through .debug_aranges, which clang does not
		 * emit by default (DWARF 5): scan the CUs' own ranges instead. */
		Dwarf_Die *c = NULL;
		while ((c = dwfl_module_nextcu(f->mod, c, &bias)) != NULL) {
			if (dwarf_haspc(c, pc - bias) > 0) {
				cu = c;
				break;
			}
		}
	}
	/* Lines only for a pc inside a CU's ranges: in a gap between two sequences of a CU's
	 * line table (gcc -O2 puts main in .text.startup, and crt1's _start, without debug
	 * information, lands after it) dwfl_module_getsrc gives the last row before the gap, a
	 * plausible wrong line. */
	Dwfl_Line *ln = cu ? dwfl_module_getsrc(f->mod, pc) : NULL;
	if (ln)
		src = dwfl_lineinfo(ln, NULL, &src_line, NULL, NULL, NULL);
	if (!src && cu) {
		Dwarf_Line *dl = dwarf_getsrc_die(cu, pc - bias);
		if (dl) {
			src = dwarf_linesrc(dl, NULL, NULL);
			if (dwarf_lineno(dl, &src_line) != 0)
				src_line = 0;
		}
	}
	Dwarf_Die *scopes = NULL;
	int ns = cu ? dwarf_getscopes(cu, pc - bias, &scopes) : 0;
	/* dwarf_getscopes stops at the innermost inlined instance and continues with the CU (it
	 * follows the abstract tree, not the concrete one), so an inline inside an inline loses
	 * its middle frames. The concrete chain comes from the innermost DIE itself (which may
	 * be a lexical block inside the inlined instance). */
	bool any_inlined = false;
	for (int i = 0; i < ns && !any_inlined; i++)
		any_inlined = dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine;
	if (any_inlined) {
		Dwarf_Die *chain = NULL;
		int nc = dwarf_getscopes_die(&scopes[0], &chain);
		if (nc > 0) {
			free(scopes);
			scopes = chain;
			ns = nc;
		} else {
			free(chain);
		}
	}
	Dwarf_Files *files = NULL;
	size_t n_files = 0;
	if (ns > 0 && dwarf_getsrcfiles(cu, &files, &n_files) != 0)
		files = NULL;
	const char *loc = src;
	int loc_line = src_line;
	for (int i = 0; i < ns; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		char *freeme;
		const char *name = die_name(s, &scopes[i], &freeme);
		if (tag == DW_TAG_subprogram && !name) {
			GElf_Sym sym;
			name = demangle(s, dwfl_module_addrsym(f->mod, pc, &sym, NULL), &freeme);
		}
		int rc = push_resolved(s, name, loc, loc_line, tag == DW_TAG_inlined_subroutine);
		free(freeme);
		if (rc != 0) {
			free(scopes);
			return -1;
		}
		if (tag == DW_TAG_subprogram) {
			have_outer = true;
			break;
		}
		Dwarf_Attribute a;
		Dwarf_Word w;
		loc = NULL;
		loc_line = 0;
		if (files && dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &a), &w) == 0)
			loc = dwarf_filesrc(files, w, NULL, NULL);
		if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &a), &w) == 0)
			loc_line = w > (Dwarf_Word)INT32_MAX ? 0 : (int)w;
	}
	free(scopes);
	if (!have_outer) {
		/* No DWARF (or no subprogram): the symbol table, at the last known location. */
		GElf_Sym sym;
		char *freeme;
		const char *name =
		    demangle(s, dwfl_module_addrsym(f->mod, pc, &sym, NULL), &freeme);
		int rc = (name || loc) ? push_resolved(s, name, loc, loc_line, false) : 0;
		free(freeme);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* Cached frames for (file, vaddr); returns the cache entry index or UINT32_MAX on OOM. */
static uint32_t lookup(struct symbolizer *s, uint32_t file, uint64_t vaddr)
{
	uint64_t key = vaddr ^ ((uint64_t)file << 48) ^ ((uint64_t)file * 0x9e3779b97f4a7c15ull);
	uint32_t idx;
	if (hashmap_get(&s->cache_index, key, &idx) && s->cache[idx].file == file &&
	    s->cache[idx].vaddr == vaddr)
		return idx;
	if (array_grow((void **)&s->cache, &s->cap_cache, (size_t)s->n_cache + 1,
	               sizeof(*s->cache)))
		return UINT32_MAX;
	struct cache_entry *c = &s->cache[s->n_cache];
	c->file = file;
	c->vaddr = vaddr;
	c->first = s->n_pool;
	if (s->files[file].mod && resolve(s, &s->files[file], vaddr) != 0)
		return UINT32_MAX;
	c->n = s->n_pool - c->first;
	if (!c->n)
		s->files[file].unnamed++;
	idx = s->n_cache++;
	if (hashmap_put(&s->cache_index, key, idx) != 0)
		return UINT32_MAX;
	return idx;
}

static struct sym_frame *out_push(struct sym_stack *out)
{
	if (out->n == out->cap) {
		size_t ncap = out->cap ? out->cap * 2 : 32;
		struct sym_frame *n = realloc(out->frames, ncap * sizeof(*n));
		if (!n)
			return NULL;
		out->frames = n;
		out->cap = ncap;
	}
	struct sym_frame *f = &out->frames[out->n++];
	memset(f, 0, sizeof(*f));
	return f;
}

/* libstdc++'s operator new[] tail-calls operator new, so a new[] leaves only operator new
 * on the stack, above the caller of new[]: when the caller's call instruction (ending at its
 * return address ret_vaddr in mod) calls an operator new[], the frame is renamed to it. */
static void name_array_new(struct symbolizer *s, struct sym_frame *f, Dwfl_Module *mod,
                           uint64_t ret_vaddr)
{
	const char *callee = call_target_name(mod, ret_vaddr);
	if (!callee || strncmp(callee, "_Zna", 4) != 0)
		return;
	char *freeme;
	const char *name = demangle(s, callee, &freeme);
	const char *kept = arena_strdup(s, name);
	free(freeme);
	if (kept)
		f->function = kept;
}

/* libleak's own mapping, by address range: the module the writer flagged as its own. A trace
 * from a writer before that flag has only the file name to go by. Never by function names: a
 * program's own lk_parse() is the program's. */
static bool is_libleak(const struct model_module *m)
{
	if (m->has_flags)
		return (m->flags & TRACE_MODULE_SELF) != 0;
	return m->path && strcmp(base_name(m->path), "libleak.so") == 0;
}

/* A Python frame (TRACE_FRAME_PY): its code object's names and the line of its instruction.
 * An absolute file is shown by its base name (the path keeps it whole), a relative one as the
 * program was started with it. */
static int python_frame(const struct model_proc *p, uint64_t v, struct sym_stack *out)
{
	struct sym_frame *f = out_push(out);
	if (!f)
		return -1;
	f->addr = v;
	f->offset = v;
	f->python = true;
	const struct model_pycode *c = model_proc_pycode(p, TRACE_FRAME_PY_CODE(v));
	if (!c)
		return 0;
	const char *slash = c->filename[0] == '/' ? strrchr(c->filename, '/') : NULL;
	f->function = c->qualname;
	f->path = c->filename;
	f->file = slash ? slash + 1 : c->filename;
	f->line = model_py_line(c, TRACE_FRAME_PY_INSTR(v));
	return 0;
}

/* Appends the frames of native frame i of st (module m, possibly NULL) to out. */
static int native_frame(struct symbolizer *s, const struct model_proc *p,
                        const struct model_stack *st, uint32_t i, const struct model_module *m,
                        struct sym_stack *out)
{
	uint64_t addr = st->frames[i];
	uint32_t ce = UINT32_MAX;
	if (m && s->use_dwarf) {
		uint32_t file = file_for(s, m);
		if (file == UINT32_MAX)
			return -1;
		/* A return address: addr - 1 lands inside the call instruction. */
		ce = lookup(s, file, addr - 1 - m->base);
		if (ce == UINT32_MAX)
			return -1;
	}
	uint32_t n = ce == UINT32_MAX ? 0 : s->cache[ce].n;
	for (uint32_t k = 0; k < (n ? n : 1); k++) {
		struct sym_frame *f = out_push(out);
		if (!f)
			return -1;
		f->addr = addr;
		f->module = m ? m->path : NULL;
		f->offset = m ? addr - m->base : addr;
		if (n) {
			const struct resolved *r = &s->pool[s->cache[ce].first + k];
			f->function = r->function;
			f->file = r->file;
			f->path = r->path;
			f->line = r->line;
			f->inlined = r->inlined;
		}
	}
	/* An operator new frame takes the name of the operator new[] its caller called. */
	struct sym_frame *last = &out->frames[out->n - 1];
	if (!n || strncmp(last->function ? last->function : "", "operator new(", 13) != 0 ||
	    i + 1 >= st->n_frames || (st->frames[i + 1] & TRACE_FRAME_PY))
		return 0;
	const struct model_module *caller = model_proc_frame_module(p, st, i + 1);
	if (!caller || is_libleak(caller))
		return 0;
	uint32_t cf = file_for(s, caller);
	if (cf == UINT32_MAX)
		return -1;
	if (s->files[cf].mod)
		name_array_new(s, last, s->files[cf].mod, st->frames[i + 1] - caller->base);
	return 0;
}

int symbolizer_frame(struct symbolizer *s, const struct model_proc *p, const struct model_stack *st,
                     uint32_t i, struct sym_stack *out, struct err *e)
{
	uint64_t addr = st->frames[i];
	if (addr & TRACE_FRAME_PY)
		return python_frame(p, addr, out) != 0 ? err_set(e, "out of memory") : 0;
	const struct model_module *m = model_proc_frame_module(p, st, i);
	if (m && is_libleak(m))
		return 0;
	const struct model_jscode *js = m ? NULL : model_proc_jscode(p, addr);
	if (js) {
		struct sym_frame *f = out_push(out);
		if (!f)
			return err_set(e, "out of memory");
		f->addr = addr;
		f->offset = addr;
		f->js = true;
		f->function = js->function;
		f->path = js->path;
		f->file = js->file;
		f->line = js->line;
		f->js_tier = js->tier;
		return 0;
	}
	return native_frame(s, p, st, i, m, out) != 0 ? err_set(e, "out of memory") : 0;
}

int symbolizer_stack(struct symbolizer *s, const struct model_proc *p, const struct model_stack *st,
                     struct sym_stack *out, struct err *e)
{
	out->n = 0;
	for (uint32_t i = 0; i < st->n_frames; i++)
		if (symbolizer_frame(s, p, st, i, out, e) != 0)
			return -1;
	return 0;
}

int symbolizer_add_debug_dir(struct symbolizer *s, const char *dir)
{
	char **n = realloc(s->debug_dirs, (s->n_debug_dirs + 1) * sizeof(*n));
	if (!n)
		return -1;
	s->debug_dirs = n;
	if (!(n[s->n_debug_dirs] = strdup(dir)))
		return -1;
	s->n_debug_dirs++;
	return 0;
}

void symbolizer_notes(struct symbolizer *s, FILE *f, const char *prog)
{
	for (uint32_t i = 0; i < s->n_files; i++) {
		const struct sym_file *sf = &s->files[i];
		if (sf->mod || !sf->unnamed || sf->path[0] != '/')
			continue;
		const char *b = strrchr(sf->path, '/');
		fprintf(f, "%s: %s: %s; %" PRIu32 " frame%s unnamed\n", prog, b ? b + 1 : sf->path,
		        sf->status == SYM_MISMATCH ? "build-id differs from the trace (rebuilt?)"
		        : !sf->build_id_len        ? "not found, and the trace has no build-id"
		                                   : "not found (nor by build-id: see --debug-dir)",
		        sf->unnamed, sf->unnamed == 1 ? "" : "s");
	}
}

bool symbolizer_has_lines(struct symbolizer *s, const struct model_module *m)
{
	if (!s->use_dwarf)
		return false;
	uint32_t idx = file_for(s, m);
	if (idx == UINT32_MAX)
		return true; /* out of memory: the answer that promises least */
	struct sym_file *f = &s->files[idx];
	if (!f->lines) {
		Dwarf_Addr bias;
		f->lines = f->mod && dwfl_module_getdwarf(f->mod, &bias) ? 1 : -1;
	}
	return f->lines > 0;
}

const char *symbolizer_file_of(struct symbolizer *s, const struct model_module *m)
{
	uint32_t idx = file_for(s, m);
	return idx == UINT32_MAX ? NULL : s->files[idx].found;
}
