/* SPDX-License-Identifier: MIT */
/* follow.h - LEAK_FOLLOW_FORK=0 for programs that children exec: see follow.c. */
#ifndef LEAK_PRELOAD_FOLLOW_H
#define LEAK_PRELOAD_FOLLOW_H

/* 1 when this process's parent has libleak.so mapped (it runs under the preload, traced or
 * not): with LEAK_FOLLOW_FORK=0 such a process is a child of the traced program (forked and
 * exec'd, posix_spawn'd, system()'s shell and what it runs) and must not trace. 0 otherwise,
 * and on any error. Raw system calls only: runs in the constructor, before anything else. */
int lk_parent_has_preload(void);

#endif
