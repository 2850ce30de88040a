/* SPDX-License-Identifier: MIT */
/* python.h - Python frames in the stacks of a CPython process (python.c). At init the
 * interpreter is found by symbol (the python executable or a libpython already mapped) and
 * its version checked against the layouts libleak knows; then every captured stack has the
 * Python frames of the calling thread merged in place of the evaluation loop's native
 * frames. A Python frame is a tagged value in the frame array (LK_PY_FRAME_TAG set: code
 * id in bits 32..62, instruction offset below); the code table copies what names a frame
 * (qualified name, file, line table, first line) and the writer emits it as PY_CODE records
 * (docs/FORMAT.md). A process that is not Python pays one branch per stack. */
#ifndef LEAK_PRELOAD_PYTHON_H
#define LEAK_PRELOAD_PYTHON_H

#include <stdbool.h>
#include <stdint.h>

#include "trace_format.h"
#include "varint.h"

#define LK_PY_FRAME_TAG TRACE_FRAME_PY

/* Nonzero once Python frames are merged into stacks (hidden: one load on the hot path). */
extern int lk_py_active __attribute__((visibility("hidden")));
/* Nonzero in a CPython process of a known version, LEAK_PYTHON or not: the hooks then watch for
 * the start of finalization (lk_py_check_finalize). */
extern int lk_py_watch __attribute__((visibility("hidden")));

/* Constructor context, after lk_real and before the writer: finds the interpreter, checks its
 * version (one line on stderr if its layout is unknown), and sets PYTHONMALLOC=malloc when
 * it is unset and LEAK_PYTHONMALLOC allows. */
void lk_py_init(void);

/* Any thread, guard held, lk_py_active set. Given the interned id of the native stack just
 * captured, returns the id of that stack with the calling thread's Python frames merged in,
 * or native_id itself when there are none. Never allocates through malloc; no C-API call. */
uint32_t lk_py_stack(uint32_t native_id);

/* Writer: PY_CODE records for the code objects first seen since the last call (restart: from
 * the first, into a new trace file). Call before the STACK records that may use them. */
void lk_py_emit_codes(trace_buf_t *b, int restart);

/* Writer, for each STACK record: whether stack id goes out now. False for a native stack that
 * a merge replaced and no capture has returned as it is (no record names it): it is held back
 * until one does. */
bool lk_py_stack_emit_ok(uint32_t id);

/* Writer, before the STACK records of a snapshot: the held stacks (ids up to upto) that a
 * capture has returned since they were held back, so they precede the records naming them. */
void lk_py_emit_used_late(trace_buf_t *b, uint32_t upto);

/* Any thread, guard held, no libleak lock held, lk_py_watch set: if the interpreter has begun
 * its finalization (which frees every dict and closes every socket), takes the final snapshot
 * now, once. */
void lk_py_check_finalize(void);

/* Set once that snapshot was taken: the exit path then only appends END. */
extern int lk_py_finalized __attribute__((visibility("hidden")));

/* dlclose hook, around the real call: with a libpython found after start (which a dlclose may
 * unmap), the merge pauses until captures in flight are done, and resumes only if libpython
 * is still mapped after the call (the module map rescanned in between). */
void lk_py_dlclose_begin(void);
void lk_py_dlclose_end(void);

/* Fork: prepare takes the code table's insert lock, parent/child release it. */
void lk_py_lock(void);
void lk_py_unlock(void);

#endif
