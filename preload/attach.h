/* SPDX-License-Identifier: MIT */
/* attach.h - libleak.so loaded into a running program: inert until leak_attach_begin, which
 * routes the program's calls to the hooks (its GOT entries) and starts a trace of the window;
 * leak_attach_end writes the final snapshot (END reason detach), puts the GOT entries back,
 * stops the writer and closes the trace (attach.c). Both are exported (libleak.map) for
 * leak-attach, which calls them from a thread of the target it has stopped and redirected.
 *
 *	int leak_attach_begin(const char *out_dir, unsigned interval_ms);
 *	int leak_attach_end(void);
 *
 * out_dir: an existing directory (absolute, or relative to the program's cwd; NULL or "" for
 * the cwd), where the trace is created as leak.<exe>.<pid>.lkt (.2.lkt, ... for later windows).
 * interval_ms: the snapshot interval (0: the default, 1000; clamped to 10 .. 3600000), with
 * LEAK_ATTACH_RUNNING or'd in when the caller lets the program's other threads run during the
 * call (leak-attach does): the writer thread then starts at once, so an idle program gets its
 * periodic snapshots too; without it the writer starts at the first hook that needs it (a
 * stopped thread may hold a lock pthread_create needs).
 * Both return 0 or -errno: begin -EALREADY (libleak was preloaded: it records already), -EBUSY
 * (a window is open), -ENOENT/-EACCES/... (out_dir), -ENOSYS (no real malloc, or no link
 * map), -ETIMEDOUT (a thread stopped inside a hook of the last window, or the last window's
 * end, which begin finishes first, timed out again); end -ENOENT (no window), -ETIMEDOUT (the
 * writer thread "leak-writer", or a thread holding the snapshot lock or a block-table lock,
 * did not get to run within about a second: call again once they run; the GOT entries are
 * restored by then unless the writer was stopped inside its GOT pass). A tracer that lets the
 * program's other threads run during the call can still see it on a loaded machine (the
 * writer waited for a processor for over a second among a busy program's threads and six
 * CPU-bound processes on two cores): leak-attach calls again. */
#ifndef LEAK_PRELOAD_ATTACH_H
#define LEAK_PRELOAD_ATTACH_H

/* 1 when libleak.so was loaded into a running program (the constructor then did nothing). */
extern int lk_attach_mode;
/* Bumped by each leak_attach_begin (0 when preloaded): a thread's slot in the thread table is
 * that window's only. */
extern unsigned lk_attach_gen;

/* Constructor: true if this libleak.so was dlopen()ed by a running program (it comes after
 * libc in the loader's list) rather than preloaded. */
int lk_attach_loaded_late(void);

#define LEAK_ATTACH_RUNNING 0x80000000u /* attach/attach.h has the same value */

int leak_attach_begin(const char *out_dir, unsigned interval_ms);
int leak_attach_end(void);

/* init.c: registers the atexit/at_quick_exit handler that writes the final snapshot (a process
 * that exits inside the window); it does nothing while not attached. */
void lk_init_exit_handlers(void);

#endif
