/* SPDX-License-Identifier: MIT */
/* fork.h - libleak across fork: the pthread_atfork handlers that quiesce every table around a
 * fork and, in a traced child (LEAK_FOLLOW_FORK=1), reset the other modules and start the
 * child's own trace. */
#ifndef LEAK_PRELOAD_FORK_H
#define LEAK_PRELOAD_FORK_H

/* Constructor context, once, after the writer is initialised. */
void lk_fork_install(void);

#endif
