/* tracefile.h - the trace file on disk: created once (0600, O_EXCL, O_NOFOLLOW), then one
 * zstd-compressed chunk appended per snapshot through a kept descriptor (reopened if the
 * program closed it). The first failure is sticky: it prints one line, sets lk_disabled, and
 * every later call is a no-op. */
#ifndef LEAK_PRELOAD_TRACEFILE_H
#define LEAK_PRELOAD_TRACEFILE_H

#include <stddef.h>
#include <stdint.h>

/* Creates path (absolute) and writes the 16-byte header. Returns 0 or -errno (and warns,
 * sets the sticky error and lk_disabled). Keeps the descriptor for the chunks. */
int lk_tracefile_create(const char *path);

/* Like lk_tracefile_create, but if path exists (an exec keeps the pid, and often the exe
 * name) tries path.2.lkt, path.3.lkt, ... (the suffix goes before a final ".lkt"); still
 * O_EXCL, so nothing existing is ever opened. */
int lk_tracefile_create_unique(const char *path);

/* Compresses raw[0..n) into one zstd frame (content checksum on) and appends it as a chunk:
 * check the kept descriptor's dev/ino are the created file's (else reopen the path
 * O_APPEND|O_NOFOLLOW and check the same), one write loop.
 * Caller serializes calls (the writer's snapshot lock). Returns 0 or -errno (sticky). */
int lk_tracefile_write_chunk(const void *raw, size_t n);

/* The sticky error: 0 or -errno of the first failure. */
int lk_tracefile_error(void);

/* Path of the current trace ("" before create). */
const char *lk_tracefile_path(void);

/* Forked child: forget the parent's file (the next create starts the child's own). */
void lk_tracefile_forget(void);

#endif
