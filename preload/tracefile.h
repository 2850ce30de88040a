/* SPDX-License-Identifier: MIT */
/* tracefile.h - the trace file, from the LEAK_OUT pattern to the open file: the pattern is
 * resolved once at start (absolute, directory -> default name) and expanded for the main
 * process and each forked child; the file is created once (0600, O_EXCL, O_NOFOLLOW), then one
 * zstd-compressed chunk is appended per snapshot through a kept descriptor (reopened if the
 * program closed it). The first failure is sticky: it prints one line, sets lk_disabled, and
 * every later call is a no-op. No other file names or opens the trace. */
#ifndef LEAK_PRELOAD_TRACEFILE_H
#define LEAK_PRELOAD_TRACEFILE_H

#include <stddef.h>
#include <stdint.h>

/* Constructor, after lk_config_init and lk_modules_init: resolves lk_config.out_pattern
 * (lk_tracefile_set_pattern) and creates this process's trace (a unique name, see
 * lk_tracefile_create_unique); with LEAK_VERSION=1 prints the startup line. lazy (a program
 * exec'd in a traced child, fork.h): the trace is named and created by the first chunk, as a
 * forked child's. 0 or -errno (then it warned and set lk_disabled). */
int lk_tracefile_init(int lazy);

/* Forked child (single-threaded): forgets the parent's file and names the child's own from
 * the same pattern with its pid. The file is created by the first chunk written (a unique
 * name, LEAK_VERSION's line then), so a child that writes none leaves no file. 0 or -errno
 * (warned, lk_disabled set). */
int lk_tracefile_fork_child(void);

/* True in a forked child whose trace file is not created yet: no chunk written since the
 * fork, and no error. */
int lk_tracefile_unwritten(void);

/* Resolves a LEAK_OUT value and keeps it as the pattern of this process and its children:
 * relative -> absolute against today's cwd ('%' in it escaped, a leading "./" dropped), a
 * directory (an existing one, or ending in '/') -> the default name leak.%e.%p.lkt inside it.
 * 0 or -errno (too long, no cwd). */
int lk_tracefile_set_pattern(const char *pattern);

/* The kept pattern ("" before lk_tracefile_set_pattern). */
const char *lk_tracefile_pattern(void);

/* Expands %p (pid), %e (exe basename, "unknown" if NULL), %% in pattern into out (cap bytes),
 * made absolute against the current directory. 0, or -ENAMETOOLONG / -errno. Never
 * allocates. */
int lk_tracefile_expand(const char *pattern, const char *exe, int pid, char *out, size_t cap);

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

/* The program names fd (closes, writes, reads, dup2s onto it, ...): if it is the trace
 * descriptor, the trace moves to another number (the top of the table if free; without room
 * it is dropped, to be reopened by path at the next chunk), a chunk write in flight on fd ends,
 * and fd is closed: the program's call then finds the number free (EBADF, or a dup2 target),
 * as it would natively. A number taken over behind the hooks' back is only forgotten. Any
 * thread, signal handlers too. */
void lk_tracefile_vacate(int fd);

/* The trace descriptor's number, -1 without one (read it through lk_tracefile_yield). */
extern int lk_tf_fd;

/* Every hook that takes a descriptor of the program's calls this first: lk_tracefile_vacate
 * when fd is the trace's number, else one load and compare. */
static inline void lk_tracefile_yield(int fd)
{
	if (__builtin_expect(fd >= 0 && fd == __atomic_load_n(&lk_tf_fd, __ATOMIC_RELAXED), 0))
		lk_tracefile_vacate(fd);
}

/* True if fd is the trace descriptor and still names the trace file; one the program took
 * over without a hook seeing it is forgotten (false). Any thread. */
int lk_tracefile_owns(int fd);

/* In a forked child, first thing: resets what the parent's other threads may have held. */
void lk_tracefile_after_fork_child(void);

/* A forked child about to exec with nothing of its own to report (fork.c): removes the
 * trace file it created, if no chunk was written into it yet and the path still names it
 * (0 at once for one not created yet). 0 if removed; -1 otherwise (the file stays). Caller holds
 * the snapshot lock. If the exec fails and recording goes on, the next chunk creates the file
 * again, under the same name. */
int lk_tracefile_discard(void);
/* Forgets the current file (the next create starts a new one); the pattern is kept. */
void lk_tracefile_forget(void);

#endif
