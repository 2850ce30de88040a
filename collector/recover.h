/* SPDX-License-Identifier: MIT */
/* recover.h - the end of a process whose trace has no END record (it left through a raw
 * exit_group, or was killed), taken from its parent's trace when both were read together. */
#ifndef LEAK_COLLECTOR_RECOVER_H
#define LEAK_COLLECTOR_RECOVER_H

#include <stdbool.h>

#include "model.h"

/* For each process of m without an END record: the CHILD record of the same pid, in the trace
 * of its parent (PROCESS.ppid; any trace for a header-only one), spawned last before the
 * process's start, whose wait status the parent saw, sets have_wait_status/wait_status. */
void recover_exits(struct model *m);

/* The process has no END record and is gone (not still running): its last periodic snapshot
 * stands for its final state. */
bool recover_final_state(const struct model_proc *p);

#endif
