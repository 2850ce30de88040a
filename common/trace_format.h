/* SPDX-License-Identifier: MIT */
/* trace_format.h - constants of the libleak trace format (docs/FORMAT.md is the prose): the
 * header and chunk framing, the limits, the record tags (generated from trace_records.h) and
 * the flag and state values of their fields. Shared by the preload (writer) and the collector
 * (reader): no libc beyond stdint, only static inline name lookups. */
#ifndef LEAK_COMMON_TRACE_FORMAT_H
#define LEAK_COMMON_TRACE_FORMAT_H

#include <stdint.h>

#include "trace_records.h"

#define TRACE_MAGIC       "LKTRACE\0" /* 8 bytes including the NUL */
#define TRACE_MAGIC_LEN   8
#define TRACE_VERSION     1
#define TRACE_HEADER_SIZE 16

#define TRACE_CHUNK_MAGIC          "LKCK"
#define TRACE_CHUNK_HEADER_SIZE    12
#define TRACE_CHUNK_MAX_COMPRESSED (64u << 20)
#define TRACE_CHUNK_MAX_RAW        (256u << 20)

#define TRACE_MAX_STR     65536u
#define TRACE_MAX_FRAMES  256u
#define TRACE_MAX_ARGC    256u
#define TRACE_MAX_ARG_LEN 4096u
#define TRACE_ID_LIMIT    (1ull << 32) /* ID fields: stack, module, fd, pid ... */

typedef enum {
#define TRACE_TAG_ENUM_(num, TAG, name) TRACE_TAG_##TAG = num,
	TRACE_RECORDS(TRACE_TAG_ENUM_)
#undef TRACE_TAG_ENUM_
} trace_tag_t;

/* "PROCESS", "MODULE" ... for a known tag, else "?". */
static inline const char *trace_tag_name(unsigned tag)
{
	switch (tag) {
#define TRACE_TAG_NAME_(num, TAG, name)                                                            \
	case num:                                                                                  \
		return #TAG;
		TRACE_RECORDS(TRACE_TAG_NAME_)
#undef TRACE_TAG_NAME_
	}
	return "?";
}

/* PROCESS.flags */
#define TRACE_PROC_FORKED   0x1u
#define TRACE_PROC_SAMPLED  0x2u
#define TRACE_PROC_EXECED   0x4u
#define TRACE_PROC_ATTACHED 0x8u /* the trace covers an attach window (leak_attach_begin) */

/* MODULE.flags (absent in traces of older writers) */
#define TRACE_MODULE_SELF 0x1u /* libleak's own mapping: its frames are not the program's */

/* STACK frames: a value with TRACE_FRAME_PY set is a Python frame, not a return address: the
 * PY_CODE id in bits 32..62, the instruction offset in code units below
 * (TRACE_FRAME_PY_NO_INSTR: the frame has not started; its first line names it). */
#define TRACE_FRAME_PY          (1ull << 63)
#define TRACE_FRAME_PY_CODE(f)  ((uint32_t)((f) >> 32) & 0x7fffffffu)
#define TRACE_FRAME_PY_INSTR(f) ((uint32_t)(f))
#define TRACE_FRAME_PY_NO_INSTR 0xffffffffu

/* SNAPSHOT.flags */
#define TRACE_SNAP_FINAL  0x1u
#define TRACE_SNAP_FORCED 0x2u
#define TRACE_SNAP_EXEC   0x4u
#define TRACE_SNAP_PY_FINALIZE                                                                     \
	0x8u /* final, taken as Python's finalization began: what the                              \
	      * interpreter frees and closes after it is not shown */
#define TRACE_SNAP_EXITING                                                                         \
	0x10u /* not final, taken after main returned or exit()/quick_exit() was                   \
	       * called: exit handlers and static destructors may be running */

/* BLOCK.flags */
#define TRACE_BLOCK_REACHABLE 0x1u
#define TRACE_BLOCK_SCANNED   0x2u
/* Not reached, but the scan was partial (SCAN.flags): counted reachable, never a leak. */
#define TRACE_BLOCK_PARTIAL 0x4u
/* Not reached from the roots, but pointed to by another block that is not: leaked only
 * through it (valgrind's "indirectly lost"). Never with bit0. */
#define TRACE_BLOCK_INDIRECT 0x8u

/* SCAN.flags */
#define TRACE_SCAN_PARTIAL 0x1u /* some root set was unknown or unreadable */
#define TRACE_SCAN_NO_ANON 0x2u /* anonymous mappings were not scanned (cannot tell ours) */

/* SCAN_THREAD.reason: why a thread was not stopped */
#define TRACE_SCAN_MISSED_BLOCKED 1u /* it blocks the stop signal */
#define TRACE_SCAN_MISSED_TIMEOUT 2u /* it did not answer within a second */
#define TRACE_SCAN_MISSED_NOSIG   3u /* no free signal, or no room to stop it */

/* FD_OPEN.type: X(value, NAME, "name in reports") */
#define TRACE_FD_TYPES(X)                                                                          \
	X(0, FILE, "file")                                                                         \
	X(1, SOCKET, "socket")                                                                     \
	X(2, PIPE, "pipe")                                                                         \
	X(3, EVENTFD, "eventfd")                                                                   \
	X(4, TIMERFD, "timerfd")                                                                   \
	X(5, EPOLL, "epoll")                                                                       \
	X(6, SIGNALFD, "signalfd")                                                                 \
	X(7, INOTIFY, "inotify")                                                                   \
	X(8, MEMFD, "memfd")                                                                       \
	X(9, DIR, "dir")                                                                           \
	X(10, OTHER, "other")

typedef enum {
#define TRACE_FD_ENUM_(v, NAME, str) TRACE_FD_##NAME = v,
	TRACE_FD_TYPES(TRACE_FD_ENUM_)
#undef TRACE_FD_ENUM_
	    TRACE_FD_NTYPES
} trace_fd_type_t;

/* "file", "socket" ...; a type this build does not know reads as "other". */
static inline const char *trace_fd_type_name(uint64_t type)
{
	static const char *const names[TRACE_FD_NTYPES] = {
#define TRACE_FD_NAME_(v, NAME, str) [v] = str,
	    TRACE_FD_TYPES(TRACE_FD_NAME_)
#undef TRACE_FD_NAME_
	};
	return names[type < TRACE_FD_NTYPES ? type : TRACE_FD_OTHER];
}

/* FD_OPEN.flags */
#define TRACE_FD_CLOEXEC   0x1u
#define TRACE_FD_INHERITED 0x2u
#define TRACE_FD_TEMPFILE  0x4u
#define TRACE_FD_FORKED    0x8u /* open in the fork parent; stack is the parent's */
/* The runtime's own, held until exit by design: node's default event loop (epoll, eventfd,
 * signal pipe) and libuv's reserve /dev/null. Not a finding. */
#define TRACE_FD_RUNTIME 0x10u

typedef enum {
	TRACE_CHILD_RUNNING = 0,
	TRACE_CHILD_ZOMBIE = 1,
	TRACE_CHILD_REAPED = 2,
	TRACE_CHILD_AUTOREAPED = 3,
} trace_child_state_t;

typedef enum {
	TRACE_THREAD_RUNNING = 0,
	TRACE_THREAD_FINISHED = 1,
	TRACE_THREAD_JOINED = 2,
	TRACE_THREAD_DETACHED = 3,
	TRACE_THREAD_DETACHED_FINISHED = 4,
} trace_thread_state_t;

typedef enum {
	TRACE_TEMP_CREATED = 0,
	TRACE_TEMP_REMOVED = 1,
	TRACE_TEMP_EXISTS_AT_EXIT = 2,
} trace_temp_state_t;

typedef enum {
	TRACE_END_EXIT = 0,
	TRACE_END_SIGNAL = 1,
	TRACE_END_EXEC = 2,
	TRACE_END_DETACH = 3, /* leak_attach_end: the process runs on */
} trace_end_reason_t;

/* PREEXISTING.kind: a resource that existed when the attach window began (no stack). The
 * descriptors of that moment are FD_OPEN records flagged TRACE_FD_INHERITED. */
#define TRACE_PRE_THREAD 1u
#define TRACE_PRE_CHILD  2u

#endif
