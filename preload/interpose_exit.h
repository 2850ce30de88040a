/* SPDX-License-Identifier: MIT */
/* interpose_exit.h - what the exit hooks (interpose_exit.c) leave for init.c's exit handler. */
#ifndef LEAK_PRELOAD_INTERPOSE_EXIT_H
#define LEAK_PRELOAD_INTERPOSE_EXIT_H

/* The status the process is ending with: main's return value or exit()'s/quick_exit()'s
 * argument, 0 until one of them is known. END carries it. */
extern volatile int lk_exit_status;

/* Set once main has returned or exit() or quick_exit() was called (not in a vfork child):
 * the exit handlers and static destructors run from then on, and the periodic snapshots
 * taken meanwhile are marked TRACE_SNAP_EXITING (writer.c). */
extern volatile int lk_exit_begun;

/* Bit 1: a vfork child's exit() ran the atexit list, libleak's entry with it, in the memory
 * it shares with its parent; bit 2: its quick_exit() ran the at_quick_exit list (init.c). */
extern volatile int lk_exit_entry_lost;
/* The process is ending by exit() or a return from main (which 1) or quick_exit() (2): if
 * a vfork child used up libleak's entry of that list, the exit handler runs now, in its
 * place. Nothing in a vfork child. */
void lk_exit_run_lost(int which);

/* The program set the disposition of signo (signal, sigaction): own_handler when it is a
 * handler of its own (not SIG_DFL or SIG_IGN). raise and kill use it (interpose_exit.c). */
void lk_exit_note_disposition(int signo, int own_handler);

#endif
