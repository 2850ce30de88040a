/* SPDX-License-Identifier: MIT */
/* reach_proc.h - the /proc text the reachability scan reads (reach_proc.c): a small file read
 * whole, the mappings of /proc/self/maps, a thread's stack pointer. No malloc, no stdio: the
 * caller gives the buffers. */
#ifndef LEAK_PRELOAD_REACH_PROC_H
#define LEAK_PRELOAD_REACH_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The readable, writable mapping of maps (the text of /proc/self/maps) that holds addr: 0 and
 * [*start, *end), or -1. */
int lk_reach_proc_mapping(const char *maps, uintptr_t addr, uintptr_t *start, uintptr_t *end);

/* Where to read next after a read at addr failed. Inside a readable mapping of maps the
 * failure is taken as a change since (a block freed and unmapped meanwhile): the next page.
 * Elsewhere, the start of the next readable mapping: a block whose pages are gone costs one
 * step, not one system call per page (hours for a 1 TiB hole). Without maps (NULL: not read
 * whole), the next page. */
uintptr_t lk_reach_proc_next(const char *maps, uintptr_t addr);

/* One line of /proc/self/maps: "start-end perms offset dev inode   path". */
typedef struct {
	uintptr_t start, end;
	char perms[5];    /* "rw-p" */
	uintptr_t inode;  /* 0: no file behind it */
	const char *path; /* in the maps text, not terminated; path_len 0 when there is none */
	size_t path_len;
} lk_maps_line_t;

/* Parses the line at *pp into *l and moves *pp to the next line; 0 at the end of the text. */
int lk_reach_proc_line(const char **pp, lk_maps_line_t *l);

/* The stack pointer of thread tid if it sits in a system call (/proc/self/task/TID/syscall:
 * "nr args... sp pc"); 0 if it is running or the file cannot be read. buf: scratch. */
uintptr_t lk_reach_proc_thread_sp(pid_t tid, char *buf, size_t cap);

#endif
