/* SPDX-License-Identifier: MIT */
/* go_exit.h - the final snapshot of a Go program (cgo), whose runtime exits without libc. */
#ifndef LEAK_PRELOAD_GO_EXIT_H
#define LEAK_PRELOAD_GO_EXIT_H

/* Constructor, single-threaded, once the writer is set up: in a Go executable, makes
 * runtime.exit write the final snapshot (END with its status) before its exit_group. No-op in
 * any other program, or where runtime.exit is not found exactly. */
void lk_go_exit_install(void);

#endif
