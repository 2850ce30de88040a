/* SPDX-License-Identifier: MIT */
/* proc_alive.h - is the process that wrote a trace without an END record still running? Its
 * pid must exist and be the same process: one whose start time (/proc/PID/stat, since boot,
 * plus the boot time of /proc/stat) is within 2 s of the trace's start_ns. A reused pid is
 * another program. Only meaningful on the machine (and pid namespace) that ran it. */
#ifndef LEAK_COLLECTOR_PROC_ALIVE_H
#define LEAK_COLLECTOR_PROC_ALIVE_H

#include <stdbool.h>
#include <stdint.h>

/* True when pid is running and started at start_ns (CLOCK_REALTIME ns) give or take 2 s. */
bool proc_alive(uint32_t pid, uint64_t start_ns);

#endif
