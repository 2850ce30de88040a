/* SPDX-License-Identifier: MIT */
/* interpose_exit.h - what the exit hooks (interpose_exit.c) leave for init.c's exit handler. */
#ifndef LEAK_PRELOAD_INTERPOSE_EXIT_H
#define LEAK_PRELOAD_INTERPOSE_EXIT_H

/* The status the process is ending with: main's return value or exit()'s/quick_exit()'s
 * argument, 0 until one of them is known. END carries it. */
extern volatile int lk_exit_status;

#endif
