/* SPDX-License-Identifier: MIT */
/* model.h - one trace file in memory, after every record has been applied in file order
 * (docs/FORMAT.md). trace_reader.c decodes bytes and calls the model_proc_on_*() appliers;
 * the analyses (analyze_*.c), the reports and leak-view only read these structs.
 * Arrays are owned by the model and stay valid until model_destroy(). Stacks are looked up
 * by id through a hash, and each keeps the latest SITE counters plus a compact change list
 * of (snapshot index, live bytes, live count): a point exists only where the values changed,
 * so a 1 h trace of 20,000 stacks costs memory in proportion to changes, not to
 * snapshots x stacks. */
#ifndef LEAK_COLLECTOR_MODEL_H
#define LEAK_COLLECTOR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hashmap.h"
#include "trace_record.h"

#define MODEL_NO_MODULE UINT32_MAX

struct model_module {
	uint32_t id;
	uint64_t base, lo, hi; /* load bias; [lo, hi) mapped range */
	uint64_t t_ns;
	char *path;
	uint8_t *build_id;
	size_t build_id_len;
	uint32_t flags; /* MODULE.flags (TRACE_MODULE_SELF), if has_flags: older traces lack it */
	bool has_flags;
	bool unloaded;
	uint64_t unload_t_ns;
};

/* One point of a stack's time series: from snapshot index `snap` on (until the next point),
 * the stack had these live values. */
struct model_point {
	uint32_t snap;
	uint64_t live_bytes;
	uint64_t live_count;
};

struct model_stack {
	uint32_t id;
	uint32_t n_frames;
	uint64_t *frames;       /* return addresses, innermost first */
	uint32_t *frame_module; /* index into proc->modules per frame, or MODEL_NO_MODULE */
	bool defined;           /* a STACK record was seen (else only referenced) */
	/* Counters as of the latest SITE record. */
	uint64_t live_bytes, live_count, total_allocs, total_frees, total_alloc_bytes;
	struct model_point *points; /* ascending snap; values before points[0] are zero */
	uint32_t n_points, cap_points;
};

struct model_snapshot {
	uint64_t seq, t_ns, rss_bytes, live_bytes, live_blocks;
	uint64_t total_allocs, total_frees, total_alloc_bytes, dropped_events, flags;
};

struct model_block {
	uint64_t addr, size;
	uint32_t stack_id;
	uint32_t flags; /* TRACE_BLOCK_* */
	uint64_t owner; /* indirect: the block leaked directly that holds it (0: unknown) */
};

struct model_fd {
	uint32_t fd, gen;
	uint32_t type; /* trace_fd_type_t; unknown values are kept as TRACE_FD_OTHER */
	uint32_t flags;
	uint32_t stack_id;
	uint64_t t_ns;
	char *path, *peer, *api;
	uint32_t open_snap; /* as model_child.state_snap, for its first FD_OPEN */
	bool closed;
	uint64_t close_t_ns;
	bool open_at_exec; /* still open, without close-on-exec, when EXEC was recorded */
};

struct model_child {
	uint32_t pid, stack_id;
	uint64_t t_ns;
	uint32_t state;      /* trace_child_state_t, last seen */
	uint32_t state_snap; /* index of the snapshot that brought it (n_snaps when it came) */
	char *api, *cmd;
	bool have_wstatus; /* the parent's wait (or its zombie probe) saw how it ended */
	int wstatus;       /* a wait status, as in <sys/wait.h> */
};

struct model_thread {
	uint32_t tid, stack_id;
	uint64_t t_ns;
	uint32_t state;      /* trace_thread_state_t, last seen */
	uint32_t state_snap; /* as for model_child */
};

struct model_tempfile {
	uint32_t stack_id;
	uint64_t t_ns;
	char *path, *api;
	uint32_t state; /* trace_temp_state_t, last seen */
};

/* A Python code object (PY_CODE): what names its frames, copied when it was first seen. */
struct model_pycode {
	uint32_t id;
	uint32_t py_version; /* 0x030b: 3.11, the line table's format */
	int firstlineno;
	char *qualname, *filename;
	uint8_t *linetable;
	size_t linetable_len;
};

/* A range of V8 code (JS_CODE) and the JavaScript function its perf map line names. */
struct model_jscode {
	uint64_t start, size;
	char *text; /* the map's text as recorded */
	size_t text_len;
	char *function;   /* the function ("(anonymous)" if V8 gives none), or the stub's name */
	char *path;       /* the script as V8 names it (a path, or node:net), NULL if none */
	const char *file; /* path's base name */
	int line;         /* the function's first line, 0 if unknown */
	bool stub;        /* not a JavaScript function: a builtin, stub, handler or regexp */
	const char *tier; /* V8's marker: "interpreted" (~), "baseline" (^), "maglev" (+),
	                   * "optimized" (*); NULL if none */
};

#define MODEL_SCAN_THREADS 32

struct model_proc {
	char *trace_path; /* where it was read from */
	/* PROCESS (have_process false: the trace had no complete chunk; pid may still be set
	 * from the file name, everything else is zero/NULL) */
	bool have_process;
	uint32_t pid, ppid;
	uint64_t start_ns, flags, interval_ms, sample_bytes, depth;
	char *exe;
	char **argv;
	uint32_t argc;
	/* END */
	bool have_end;
	uint64_t end_t_ns;
	uint32_t end_reason;
	int64_t end_status;
	/* No END, but the parent's trace (read with this one) saw how this process ended:
	 * wait_status, a wait status (recover.c). */
	bool have_wait_status;
	int wait_status;
	/* EXEC */
	bool have_exec;
	uint64_t exec_t_ns;
	char *exec_path;
	/* Reading */
	bool truncated;
	char truncation[384]; /* why, when truncated */
	uint32_t n_chunks;
	/* Damage skipped in the middle: bytes from each corrupt chunk to the next one that
	 * validated, how many such places, and what the first one was. */
	uint64_t skipped_bytes;
	uint32_t damaged_chunks;
	char damage[256];

	struct model_module *modules; /* file order */
	uint32_t n_modules, cap_modules;
	struct model_stack *stacks; /* in order of first appearance */
	uint32_t n_stacks, cap_stacks;
	struct hashmap stack_index; /* stack id -> index in stacks */
	struct model_snapshot *snaps;
	uint32_t n_snaps, cap_snaps;
	struct model_block *blocks; /* of the latest final snapshot */
	size_t n_blocks, cap_blocks;
	bool have_final; /* the latest snapshot has the final flag */
	struct model_fd *fds;
	uint32_t n_fds, cap_fds;
	struct hashmap fd_index; /* (fd << 32 | gen) -> index of the open entry */
	struct model_child *children;
	uint32_t n_children, cap_children;
	struct hashmap child_index; /* pid -> latest entry */
	struct model_thread *threads;
	uint32_t n_threads, cap_threads;
	struct hashmap thread_index; /* tid -> latest entry */
	struct model_tempfile *tempfiles;
	uint32_t n_tempfiles, cap_tempfiles;
	/* SCAN, SCAN_THREAD of the latest final snapshot: the exit scan's roots */
	bool have_scan;
	uint64_t scan_flags, scan_stopped, scan_missed, scan_anon_bytes;
	uint32_t n_scan_threads; /* the first MODEL_SCAN_THREADS missed threads */
	struct model_scan_thread {
		uint32_t tid, reason;
		char name[32];
	} scan_threads[MODEL_SCAN_THREADS];
	/* PREEXISTING: threads and children alive when an attach window began (PROCESS.flags
	 * TRACE_PROC_ATTACHED); that moment's descriptors are the fds flagged inherited. */
	struct model_preexisting {
		uint32_t kind, id; /* TRACE_PRE_* */
		char name[32];
	} * preexisting;
	uint32_t n_preexisting, cap_preexisting;
	struct model_pycode *pycodes; /* model_py.c */
	uint32_t n_pycodes, cap_pycodes;
	struct hashmap pycode_index;  /* code id -> index in pycodes */
	struct model_jscode *jscodes; /* model_js.c */
	uint32_t n_jscodes, cap_jscodes;
};

struct model {
	struct model_proc **procs;
	uint32_t n_procs, cap_procs;
};

/* Empty model / free everything (model_destroy(NULL) is a no-op). */
struct model *model_create(void);
void model_destroy(struct model *m);

/* A new empty process owned by m, appended to m->procs; NULL on out of memory. */
struct model_proc *model_add_proc(struct model *m, const char *trace_path);
/* Removes and frees the last process (used when its trace turns out unreadable). */
void model_drop_last_proc(struct model *m);

/* Applies one decoded record (file order). Records that refer to unknown ids are kept
 * leniently (a SITE for an undefined stack creates it without frames). Returns 0, or -1 with
 * e filled (out of memory only). */
int model_proc_apply(struct model_proc *p, const struct trace_record *r, struct err *e);

/* model_py.c: applies a PY_CODE record (0, or -1 on out of memory); frees a process's code
 * objects; the code object of a Python frame value (model_py_frame), NULL when unknown. */
int model_py_apply(struct model_proc *p, const struct trace_record *r);
void model_py_free(struct model_proc *p);
const struct model_pycode *model_proc_pycode(const struct model_proc *p, uint32_t id);
/* model_js.c: applies a JS_CODE record (0, or -1 on out of memory); frees them; the one
 * code range covering return address addr, NULL when none or more than one does. */
int model_js_apply(struct model_proc *p, const struct trace_record *r);
void model_js_free(struct model_proc *p);
const struct model_jscode *model_proc_jscode(const struct model_proc *p, uint64_t addr);
/* The source line of instruction offset instr (code units) of c; 0 when it has none. */
int model_py_line(const struct model_pycode *c, uint32_t instr);

/* Lookups; NULL when absent. */
const struct model_stack *model_proc_stack(const struct model_proc *p, uint32_t id);
const struct model_module *model_proc_frame_module(const struct model_proc *p,
                                                   const struct model_stack *s, uint32_t frame);
/* Live values of a stack at snapshot index snap (from its change list). */
void model_stack_live_at(const struct model_stack *s, uint32_t snap, uint64_t *live_bytes,
                         uint64_t *live_count);
/* Process times in ns since the epoch: start and end (END, else last snapshot, else start). */
uint64_t model_proc_end_ns(const struct model_proc *p);
/* Peak of SNAPSHOT live_bytes; 0 without snapshots. */
uint64_t model_proc_peak_live(const struct model_proc *p);

#endif
