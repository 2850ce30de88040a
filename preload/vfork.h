/* SPDX-License-Identifier: MIT */
/* vfork.h - the state of a real vfork (vfork.c; the stub is in interpose_spawn.c, x86_64). Between
 * vfork and the child's exec or _exit the child runs on its parent's memory, stack and thread-local
 * storage while the parent's thread waits in the kernel: libleak records nothing there (the child
 * holds the guard, guard.h) and changes nothing the parent reads, except what the parent undoes
 * when vfork returns to it. */
#ifndef LEAK_PRELOAD_VFORK_H
#define LEAK_PRELOAD_VFORK_H

#include <stddef.h>

/* Nonzero (the parent's pid) in a vfork child until it execs or exits: this thread's, so
 * the parent's other threads never see it; the parent clears it when vfork returns to it. */
extern __thread int lk_in_vfork_child __attribute__((tls_model("initial-exec")));
/* For a signal handler, which may also run in the parent as vfork returns, before it cleared
 * lk_in_vfork_child: true only in the child. */
int lk_vfork_is_child(void);

/* A vfork child about to exec maps memory (a large envp or argv) in its parent's address
 * space: noted here, the parent unmaps it when vfork returns; forgotten if the child unmaps it
 * itself (the exec failed). */
void lk_vfork_note_map(void *p, size_t len);
void lk_vfork_forget_map(void *p);
/* The parent, vfork returned: unmaps what its child noted. */
void lk_vfork_unmap(void);

#endif
