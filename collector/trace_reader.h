/* SPDX-License-Identifier: MIT */
/* trace_reader.h - reads a libleak trace (docs/FORMAT.md) into a struct model_proc.
 * The file is treated as untrusted: every length is checked before use, allocations are
 * bounded by the format's limits, and a cut-short file is read up to its last complete chunk
 * (proc->truncated). A reader object keeps its file offset, so a caller can poll a trace that
 * is still being written (leak-report --follow) by calling trace_reader_update() again. */
#ifndef LEAK_COLLECTOR_TRACE_READER_H
#define LEAK_COLLECTOR_TRACE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "model.h"

struct trace_reader;

/* Opens path and checks its header. On error returns <0 with e filled (e.g. "not a libleak
 * trace", "unsupported format version 3 (this build reads 1)", "empty file", strerror). */
int trace_reader_open(struct trace_reader **out, const char *path, struct err *e);
/* Same over a caller-owned buffer that must outlive the reader (tests, fuzzing). */
int trace_reader_open_mem(struct trace_reader **out, const void *buf, size_t len, struct err *e);
void trace_reader_close(struct trace_reader *r);

/* Applies every complete chunk from the current offset to p. Stops quietly before an
 * incomplete chunk at the end (it may still be being written) and remembers the offset; sets
 * *at_tail (may be NULL) to true when stopped there with bytes pending. A corrupt chunk is
 * skipped to the next offset where a whole chunk validates (p->skipped_bytes,
 * p->damaged_chunks, p->damage); with none after it, it is an error if no chunk has been read
 * yet, and otherwise p is marked truncated there.
 * Returns the number of chunks applied (>= 0) or <0 with e filled. */
int trace_reader_update(struct trace_reader *r, struct model_proc *p, bool *at_tail, struct err *e);

/* One-shot: open, read everything, mark a short tail as truncated, and append the process
 * to m. Complete chunks without a PROCESS record are an error; a trace with no complete
 * chunk at all (only the header: the process ended before its first snapshot) loads as an
 * empty truncated process (have_process false). On error nothing is added to m. */
int trace_reader_load(struct model *m, const char *path, struct err *e);

/* Loads every *.lkt in dir, in name order. A trace that cannot be read is handed to
 * skipped(path, why, arg) (may be NULL) and left out: a child killed before its first
 * snapshot must not hide the rest. Returns 0, or -1 (e set) if the directory cannot be read
 * or none of its traces can. */
int trace_reader_load_dir(struct model *m, const char *dir,
                          void (*skipped)(const char *path, const char *why, void *arg), void *arg,
                          struct err *e);
int trace_reader_load_mem(struct model *m, const char *name, const void *buf, size_t len,
                          struct err *e);

#endif
