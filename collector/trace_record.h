/* trace_record.h - one decoded record of docs/FORMAT.md, the hand-off between
 * trace_reader.c (bytes -> record, all limits checked) and model.c (record -> state).
 * Strings point into the reader's chunk buffer and are NOT NUL-terminated: model.c copies
 * what it keeps. Unknown tags never get here. */
#ifndef LEAK_COLLECTOR_TRACE_RECORD_H
#define LEAK_COLLECTOR_TRACE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "trace_format.h"

struct trace_str {
	const uint8_t *p;
	size_t len;
};

struct trace_record {
	trace_tag_t tag;
	union {
		struct {
			uint64_t pid, ppid, start_ns, flags, interval_ms, sample_bytes, depth;
			struct trace_str exe;
			uint32_t argc;
			struct trace_str argv[TRACE_MAX_ARGC];
		} process;
		struct {
			uint64_t id, base, lo, hi, t_ns;
			struct trace_str path, build_id;
		} module;
		struct {
			uint64_t id, t_ns;
		} module_unload;
		struct {
			uint64_t id;
			uint32_t n;
			uint64_t frames[TRACE_MAX_FRAMES];
		} stack;
		struct {
			uint64_t seq, t_ns, rss_bytes, live_bytes, live_blocks, total_allocs,
			    total_frees, total_alloc_bytes, dropped_events, flags;
		} snapshot;
		struct {
			uint64_t stack_id, live_bytes, live_count, total_allocs, total_frees,
			    total_alloc_bytes;
		} site;
		struct {
			uint64_t addr, size, stack_id, flags;
		} block;
		struct {
			uint64_t fd, gen, type, flags, stack_id, t_ns;
			struct trace_str path, peer, api;
		} fd_open;
		struct {
			uint64_t fd, gen, t_ns;
		} fd_close;
		struct {
			uint64_t pid, stack_id, t_ns, state;
			struct trace_str api, cmd;
		} child;
		struct {
			uint64_t tid, stack_id, t_ns, state;
		} thread;
		struct {
			uint64_t stack_id, t_ns;
			struct trace_str path;
			uint64_t state;
			struct trace_str api;
		} tempfile;
		struct {
			uint64_t t_ns;
			struct trace_str path;
		} exec;
		struct {
			uint64_t t_ns, reason;
			int64_t status;
		} end;
	} u;
};

#endif
