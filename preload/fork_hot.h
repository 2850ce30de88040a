/* SPDX-License-Identifier: MIT */
/* fork_hot.h - LK_FORK_HOT gathers the words every fork writes on both sides (the lock words
 * the atfork handlers take and release, the fork flags) into one section, so they share a
 * page or two: after a fork each page either side writes first costs a copy-on-write fault
 * (about 2.5 us here), and spread over the .bss next to big tables they were a dozen pages.
 * Each word keeps a cache line of its own (no false sharing between the locks). */
#ifndef LEAK_PRELOAD_FORK_HOT_H
#define LEAK_PRELOAD_FORK_HOT_H

#define LK_FORK_HOT __attribute__((section("lk_fork_hot"), aligned(64)))

/* LK_FORK_WARM: state a traced forked child sets anew (trace clock, writer and trace-file
 * state) and the parent writes seldom (a snapshot, a request). Kept in the same section
 * without a line each, so a child's resets land on the page its atfork handler has already
 * copied instead of a page each (they were eight more faults a fork). Not for words written
 * on every event. */
#define LK_FORK_WARM __attribute__((section("lk_fork_hot")))

/* LK_FORK_TEXT: the code a forked child runs at fork and in a short life (its atfork
 * handler, the fork hook's child side, the resets, the quiet-exit test), side by side. A
 * child maps the library's code afresh, a fault for each 64 KiB window it runs in: spread
 * over the library these were four or five windows in every child. */
#define LK_FORK_TEXT __attribute__((section(".text.hot.lk_fork")))

#endif
