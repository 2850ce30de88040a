/* trace_format.h - constants of the libleak trace format (docs/FORMAT.md is the prose).
 * Shared by the preload (writer) and the collector (reader). No functions, no libc beyond
 * stdint: this header is compiled into libleak.so and into leak-report alike. */
#ifndef LEAK_COMMON_TRACE_FORMAT_H
#define LEAK_COMMON_TRACE_FORMAT_H

#include <stdint.h>

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

typedef enum {
	TRACE_TAG_PROCESS = 1,
	TRACE_TAG_MODULE = 2,
	TRACE_TAG_MODULE_UNLOAD = 3,
	TRACE_TAG_STACK = 4,
	TRACE_TAG_SNAPSHOT = 5,
	TRACE_TAG_SITE = 6,
	TRACE_TAG_BLOCK = 7,
	TRACE_TAG_FD_OPEN = 8,
	TRACE_TAG_FD_CLOSE = 9,
	TRACE_TAG_CHILD = 10,
	TRACE_TAG_THREAD = 11,
	TRACE_TAG_TEMPFILE = 12,
	TRACE_TAG_EXEC = 13,
	TRACE_TAG_END = 14,
} trace_tag_t;

/* PROCESS.flags */
#define TRACE_PROC_FORKED  0x1u
#define TRACE_PROC_SAMPLED 0x2u
#define TRACE_PROC_EXECED  0x4u

/* SNAPSHOT.flags */
#define TRACE_SNAP_FINAL  0x1u
#define TRACE_SNAP_FORCED 0x2u
#define TRACE_SNAP_EXEC   0x4u

/* BLOCK.flags */
#define TRACE_BLOCK_REACHABLE 0x1u
#define TRACE_BLOCK_SCANNED   0x2u

typedef enum {
	TRACE_FD_FILE = 0,
	TRACE_FD_SOCKET = 1,
	TRACE_FD_PIPE = 2,
	TRACE_FD_EVENTFD = 3,
	TRACE_FD_TIMERFD = 4,
	TRACE_FD_EPOLL = 5,
	TRACE_FD_SIGNALFD = 6,
	TRACE_FD_INOTIFY = 7,
	TRACE_FD_MEMFD = 8,
	TRACE_FD_DIR = 9,
	TRACE_FD_OTHER = 10,
	TRACE_FD_NTYPES
} trace_fd_type_t;

/* FD_OPEN.flags */
#define TRACE_FD_CLOEXEC   0x1u
#define TRACE_FD_INHERITED 0x2u
#define TRACE_FD_TEMPFILE  0x4u
#define TRACE_FD_FORKED    0x8u /* open in the fork parent; stack is the parent's */

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
} trace_end_reason_t;

#endif
