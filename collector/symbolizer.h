/* SPDX-License-Identifier: MIT */
/* symbolizer.h - return addresses -> function, file, line (with inlined frames), through
 * elfutils libdwfl. One symbolizer serves every process of a run: ELF files are opened once
 * per (path, build-id) at their link-time addresses, and frames are looked up at
 * addr - 1 - load bias, so processes with different load addresses share the work and the
 * per-address cache. Strings handed out live as long as the symbolizer. */
#ifndef LEAK_COLLECTOR_SYMBOLIZER_H
#define LEAK_COLLECTOR_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "model.h"

struct sym_frame {
	uint64_t addr;        /* the recorded return address */
	const char *module;   /* module path, or NULL when no module holds addr */
	uint64_t offset;      /* addr - load bias of module (the ELF address), or addr */
	const char *function; /* NULL when unresolved */
	const char *file;     /* basename as recorded in DWARF; NULL when unknown */
	const char *path;     /* the full DWARF path; NULL when unknown */
	int line;             /* 0 when unknown */
	bool inlined;         /* this function was inlined into the next frame's */
	bool python;          /* a Python frame: function is its qualified name, path its file
	                       * as the interpreter has it, file that shortened (relative stays) */
	bool js;              /* V8 code named by node's perf map (JS_CODE): function is the
	                       * JavaScript function (or the stub), path its script, line its first */
	const char *js_tier;  /* js: the code's tier (model_jscode), NULL if V8 gave none */
};

/* Caller-owned growable frame list, reused across calls. */
struct sym_stack {
	struct sym_frame *frames;
	size_t n, cap;
};

struct symbolizer;

/* debug_root: where build-id debug files live ("/usr/lib/debug" when NULL). With
 * use_dwarf false, no file is opened: frames keep module + offset only (--no-symbols). */
struct symbolizer *symbolizer_create(bool use_dwarf, const char *debug_root);
void symbolizer_destroy(struct symbolizer *s);

/* A directory searched (after the trace's path and debug_root) for a module's file by
 * build-id (DIR/.build-id/xx/yyyy[.debug]) and by name (DIR/NAME[.debug]); 0 or -1 (OOM). */
int symbolizer_add_debug_dir(struct symbolizer *s, const char *dir);

/* One line per module whose frames stayed unnamed, saying why ("PROG: pool: build-id differs
 * from the trace (rebuilt?); 12 frames unnamed"), into f. Call after the stacks are
 * symbolized. */
void symbolizer_notes(struct symbolizer *s, FILE *f, const char *prog);

/* The file the search found for module m (the trace's path, a debug file, a --debug-dir or
 * debuginfod cache entry), or NULL when none was found or use_dwarf is off. */
const char *symbolizer_file_of(struct symbolizer *s, const struct model_module *m);

/* Whether a frame in module m can be named with a file and line: its file (or a debug file)
 * was found and has DWARF. False for --no-symbols; opens the file on first use. Cheap: lets a
 * caller skip naming frames that can only keep module + offset. */
bool symbolizer_has_lines(struct symbolizer *s, const struct model_module *m);

/* Expands stack st of process p into out (innermost first; an inlined call adds frames),
 * dropping libleak's own frames (those in the module its MODULE record flags as
 * TRACE_MODULE_SELF). Returns 0, or -1 with e filled on out of memory. Unresolvable frames are not
 * errors. */
int symbolizer_stack(struct symbolizer *s, const struct model_proc *p, const struct model_stack *st,
                     struct sym_stack *out, struct err *e);
/* Appends frame i of st to out as symbolizer_stack() names it: one frame, more when calls
 * were inlined there, none for a libleak frame. Returns 0, or -1 with e filled on out of
 * memory. */
int symbolizer_frame(struct symbolizer *s, const struct model_proc *p, const struct model_stack *st,
                     uint32_t i, struct sym_stack *out, struct err *e);
void sym_stack_fini(struct sym_stack *out);

#endif
