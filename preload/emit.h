/* SPDX-License-Identifier: MIT */
/* emit.h - the writer thread's interface to the non-heap trackers (descriptors, children,
 * threads, temp files: fd_table.c, proc_table.c). At each snapshot the writer, after emitting
 * every new STACK and before the SNAPSHOT record, asks each tracker to append the records for
 * what changed since it last asked (docs/FORMAT.md: FD_OPEN, FD_CLOSE, CHILD, THREAD,
 * TEMPFILE). Writer thread only; trackers may take their own short spinlocks, never across
 * calls into unknown code. */
#ifndef LEAK_PRELOAD_EMIT_H
#define LEAK_PRELOAD_EMIT_H

#include "varint.h"

/* final: the process is exiting (or exec'ing); report tempfiles still on disk, children
 * still running, threads not joined, in their current state. */
void lk_fd_emit(trace_buf_t *b, int final);
void lk_proc_emit(trace_buf_t *b, int final);

/* A fresh trace file starts (forked child): forget what was emitted, so everything still
 * open/alive is emitted again into the new file. Called in the child after fork. */
void lk_fd_emit_reset(void);
void lk_proc_emit_reset(void);

/* Writer side: write a snapshot chunk now and wait (bounded) until it is on disk.
 * final=1 adds the final snapshot and the END record. Used by the execve hook (reason exec),
 * exit, and fatal-signal paths. Any thread, guard held. */
void lk_writer_sync(int final, int end_reason, int status);

#endif
