/* SPDX-License-Identifier: MIT */
/* sys.h - raw system calls and async-signal-safe helpers for libleak's own work, so that its
 * I/O never goes through its own hooks (open/close/write are interposed) and never allocates.
 * Functions return a value >= 0 or -errno (libuv style) and preserve errno. */
#ifndef LEAK_PRELOAD_SYS_H
#define LEAK_PRELOAD_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A system call by the instruction itself (x86_64): libleak exports syscall() as a hook that
 * sends every descriptor number (open, openat, close, dup2, ...) on to its descriptor hooks,
 * so a descriptor call of libleak's own made through syscall() would be taken for the
 * program's (the vfork child's close of the trace number came back to the trace's own close
 * path, until the stack ran out). Returns the kernel's value, >= 0 or -errno, errno untouched.
 * Elsewhere through syscall(). */
long lk_sys_raw(long nr, long a, long b, long c, long d);
int lk_sys_open(const char *path, int flags, int mode); /* both by lk_sys_raw */
int lk_sys_close(int fd);
ssize_t lk_sys_write(int fd, const void *buf, size_t n); /* writes all of buf or fails */
ssize_t lk_sys_read(int fd, void *buf, size_t n);
int lk_sys_fstat_ino(int fd, uint64_t *dev, uint64_t *ino);
/* True if fd is a regular file, a directory, a block device or a memory device (/dev/null,
 * /dev/urandom ...): its reads never wait for another process. False for anything else or an fstat
 * that fails. Never changes errno. */
bool lk_sys_fd_never_waits(int fd);
void *lk_sys_mmap(size_t n); /* anonymous rw memory, NULL on failure */
/* As lk_sys_mmap, for n of 2 MiB or more at a 2 MiB boundary and advised MADV_HUGEPAGE
 * (transparent huge pages, where they are on for madvised memory): one TLB entry for 2 MiB of
 * a large table read at random, not 512. */
void *lk_sys_mmap_huge(size_t n);
/* Fills n bytes at p (page-aligned, in an lk_sys_mmap) at once (MADV_POPULATE_WRITE): one
 * call instead of a fault per page, for memory about to be written through. Best effort. */
void lk_sys_populate(void *p, size_t n);
/* madvise(MADV_WIPEONFORK): a forked child gets [p, p + n) as zeros, so fork copies none of
 * its page tables and the parent's next writes to it take no copy-on-write fault. False where
 * the kernel refuses (older than 4.14): the memory is inherited as before. errno preserved. */
bool lk_sys_wipe_on_fork(void *p, size_t n);
/* n bytes of zeroed rw memory, page-aligned, that a forked child gets as zeros (as
 * lk_sys_wipe_on_fork), carved from one shared mapping, so that however many there are fork
 * copies one mapping for them. Never freed. NULL where the kernel refuses MADV_WIPEONFORK or
 * memory is short: the caller falls back to lk_sys_mmap. errno preserved. */
void *lk_sys_mmap_wipe(size_t n);
/* The same, for memory about to be written all over (a hash table's new array): filled at
 * once (MAP_POPULATE, one call instead of a fault per page) and left out of forked children
 * (MADV_DONTFORK: fork copies none of it, and the parent's later writes to it take no
 * copy-on-write faults). *kept_from_children says whether the latter worked (else a child
 * inherits it as usual). */
void *lk_sys_mmap_private(size_t n, bool *kept_from_children);
void lk_sys_munmap(void *p, size_t n);
/* n bytes of address space (page multiple), inaccessible and charged nothing until
 * lk_sys_commit makes pages of it usable, left out of forked children as lk_sys_mmap_private
 * (*kept_from_children). Freed with lk_sys_munmap(p, n). errno preserved. */
void *lk_sys_reserve(size_t n, bool *kept_from_children);
/* Makes [p, p + n) of a reservation (page-aligned) readable and writable and fills its first
 * fill bytes (zeros); false if the kernel refuses (memory short). errno preserved. */
bool lk_sys_commit(void *p, size_t n, size_t fill);
/* Notes a mapping libleak made itself (lk_sys_mmap* do): the exit scan takes no root in it.
 * lk_sys_own_foreach calls fn for each noted mapping; -1 if some could not be noted. */
void lk_sys_note_own(void *p, size_t n);
int lk_sys_own_foreach(void (*fn)(void *arg, uintptr_t start, size_t len), void *arg);
pid_t lk_sys_getpid(void);
pid_t lk_sys_gettid(void);
uint64_t lk_now_ns(void);            /* CLOCK_MONOTONIC */
uint64_t lk_realtime_ns(void);       /* CLOCK_REALTIME */
uint64_t lk_process_cpu_ns(void);    /* CLOCK_PROCESS_CPUTIME_ID: all the process's threads */
uint64_t lk_process_preempted(void); /* involuntary context switches, all threads; 0 if unknown */
int lk_sys_ncpu(void);               /* processors this thread may run on, 0 if unknown */
uint64_t lk_sys_rss_bytes(void);
/* A small file (/proc text) read whole into buf, NUL-terminated, cut at cap - 1 bytes.
 * Returns its length, or -1 if it cannot be opened. Raw system calls; preserves errno. */
long lk_sys_read_file(const char *path, char *buf, size_t cap);
/* This process's state letter and thread count from /proc/self/stat: 0, or -1. */
int lk_sys_self_stat(char *state, long *threads);

/* Formats v into buf (decimal), returns the length; buf must hold 21 bytes. */
size_t lk_fmt_u64(char *buf, uint64_t v);

#endif
