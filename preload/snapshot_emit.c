/* SPDX-License-Identifier: MIT */
/* snapshot_emit.c - encodes the heap records of a snapshot chunk (see snapshot_emit.h); the
 * field lists are common/trace_records.h's, the bytes common/trace_codec.h's. Called by the
 * writer with the snapshot lock held, which makes the static scratch below safe. Raw
 * syscalls and mmap only: no allocation through an intercepted function. */
#include "snapshot_emit.h"
#include "config.h"
#include "heap_table.h"
#include "modules.h"
#include "node.h"
#include "python.h"
#include "reach.h"
#include "sample.h"
#include "stack_table.h"
#include "sys.h"
#include "trace_codec.h"
#include "tracefile.h"

#include <fcntl.h>
#include <string.h>

_Static_assert(sizeof(uintptr_t) == sizeof(uint64_t), "frames are encoded as uint64_t");

/* argv views into the cmdline buffer: 4 KiB, too much for a signal handler's stack. */
static struct trace_str lk_argv[TRACE_MAX_ARGC];

void lk_emit_process(trace_buf_t *b, int ppid, uint64_t start_rt_ns, uint32_t flags)
{
	/* argv from /proc/self/cmdline: NUL-separated, read with raw syscalls. Most fit the
	 * stack buffer (no mmap/munmap per forked child); a longer one is read again whole. */
	char small[4096], *cmd = small;
	size_t cap = sizeof(small), n = 0;
	for (int pass = 0; pass < 2; pass++) {
		int fd = lk_sys_open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC, 0);
		if (fd < 0)
			break;
		ssize_t r;
		n = 0;
		while (n < cap && (r = lk_sys_read(fd, cmd + n, cap - n)) > 0)
			n += (size_t)r;
		lk_sys_close(fd);
		if (n < cap || pass == 1)
			break;
		char *big = lk_sys_mmap(1u << 20);
		if (!big)
			break;
		cmd = big;
		cap = 1u << 20;
	}
	uint32_t argc = 0;
	for (size_t p = 0; p < n && argc < TRACE_MAX_ARGC; argc++) {
		/* The last one may be partial (cut at the cap): it counts too. */
		size_t len = strnlen(cmd + p, n - p);
		lk_argv[argc] = (struct trace_str){(const uint8_t *)cmd + p, len};
		p += len + 1;
	}
	trace_enc_process(b, &(struct trace_rec_process){
	                         .pid = (uint64_t)lk_sys_getpid(),
	                         .ppid = (uint64_t)ppid,
	                         .start_ns = start_rt_ns,
	                         .flags = flags | (lk_sample_bytes ? TRACE_PROC_SAMPLED : 0),
	                         .interval_ms = lk_config.interval_ms,
	                         .sample_bytes = lk_sample_bytes, /* 0: every allocation tracked */
	                         .depth = lk_config.depth,
	                         .exe = trace_cstr(lk_modules_exe(), TRACE_MAX_STR),
	                         .argc = argc,
	                         .argv = lk_argv,
	                     });
	if (cmd != small)
		lk_sys_munmap(cmd, cap);
}

void lk_emit_stacks(trace_buf_t *b, uint32_t from, uint32_t upto)
{
	/* A library constructor allocates before dlopen returns (and before our rescan): if a
	 * frame lies in no known module, rescan once so its MODULE precedes the STACK. A stack
	 * with Python frames is looked at up to the first: its native frames are all those of
	 * the native stack it was merged from, interned (and looked at) before it. */
	int rescanned = 0;
	for (uint32_t id = from + 1; id <= upto && !rescanned; id++) {
		uint32_t n;
		const uintptr_t *f = lk_stack_table_frames(id, &n);
		for (uint32_t i = 0; i < n && !(f[i] & LK_PY_FRAME_TAG); i++)
			if (!lk_modules_contains(f[i])) {
				lk_modules_scan();
				rescanned = 1;
				break;
			}
	}
	lk_modules_emit(b);
	lk_py_emit_codes(b, from == 0); /* every code a stack below names (interned before it) */
	lk_node_emit(b, from, upto);    /* the perf map lines naming their JIT frames */
	lk_py_emit_used_late(b, from);  /* held back before, named since */
	for (uint32_t id = from + 1; id <= upto; id++) {
		if (!lk_py_stack_emit_ok(id))
			continue; /* replaced by its merge with Python frames: named by no record */
		uint32_t n;
		const uintptr_t *f = lk_stack_table_frames(id, &n);
		trace_enc_stack(
		    b, &(struct trace_rec_stack){.id = id, .n = n, .frames = (const uint64_t *)f});
	}
}

/* The final snapshot's BLOCK records go out in chunks of about this many raw bytes, so a heap
 * of millions of live blocks needs no buffer of its size (nor a chunk past the format's
 * 256 MiB limit). */
#define LK_BLOCK_CHUNK (4u << 20)

typedef struct {
	trace_buf_t *b;
	uint32_t max_stack;
	int write_err;
	int unreached_only; /* lk_emit_blocks' */
} lk_blocks_t;

static void lk_blocks_max(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id,
                          uint32_t flags, uintptr_t owner)
{
	(void)ptr, (void)size, (void)flags, (void)owner;
	lk_blocks_t *bl = arg;
	if (stack_id > bl->max_stack)
		bl->max_stack = stack_id;
}

static void lk_blocks_max_table(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id)
{
	lk_blocks_max(arg, ptr, size, stack_id, 0, 0);
}

static void lk_emit_block(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id,
                          uint32_t flags, uintptr_t owner)
{
	lk_blocks_t *bl = arg;
	const uint32_t reached = TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE;
	if (bl->unreached_only && (flags & reached) == reached)
		return;
	trace_buf_t *b = bl->b;
	trace_enc_block(b, &(struct trace_rec_block){.addr = ptr,
	                                             .size = size,
	                                             .stack_id = stack_id,
	                                             .flags = flags,
	                                             .owner = owner,
	                                             .has_owner = owner != 0});
	if (b->len >= LK_BLOCK_CHUNK && !b->err && !bl->write_err) {
		bl->write_err = lk_tracefile_write_chunk(b->data, b->len) != 0;
		b->len = 0;
	}
}

/* Not scanned (no reachability scan ran): flags 0. */
static void lk_emit_block_table(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id)
{
	lk_emit_block(arg, ptr, size, stack_id, 0, 0);
}

uint32_t lk_emit_blocks_max_stack(int scanned)
{
	lk_blocks_t bl = {0};
	if (scanned && lk_reach_max_stack(&bl.max_stack) == 0)
		return bl.max_stack; /* the copy's, taken as it was made */
	if (!scanned || !lk_reach_foreach(lk_blocks_max, &bl))
		lk_heap_table_foreach(lk_blocks_max_table, &bl);
	return bl.max_stack;
}

/* SCAN and a SCAN_THREAD per thread the scan could not stop: before the BLOCKs. */
static void lk_emit_scan(trace_buf_t *b)
{
	const lk_reach_summary_t *sum = lk_reach_summary();
	uint32_t flags =
	    (sum->partial ? TRACE_SCAN_PARTIAL : 0) | (sum->no_anon ? TRACE_SCAN_NO_ANON : 0);
	trace_enc_scan(b, &(struct trace_rec_scan){.flags = flags,
	                                           .threads_stopped = sum->threads_stopped,
	                                           .threads_missed = sum->threads_missed,
	                                           .anon_bytes = sum->anon_bytes});
	for (uint32_t i = 0; i < sum->missed_n; i++) {
		size_t len = strnlen(sum->missed[i].name, sizeof(sum->missed[i].name));
		trace_enc_scan_thread(b, &(struct trace_rec_scan_thread){
		                             .tid = (uint64_t)sum->missed[i].tid,
		                             .reason = sum->missed[i].reason,
		                             .name = {(const uint8_t *)sum->missed[i].name, len}});
	}
}

void lk_emit_blocks(trace_buf_t *b, int scanned, int unreached_only)
{
	if (scanned)
		lk_emit_scan(b);
	/* Address order when the scan ran (no lookup per block). */
	lk_blocks_t bl = {.b = b, .unreached_only = scanned && unreached_only};
	if (!scanned || !lk_reach_foreach(lk_emit_block, &bl))
		lk_heap_table_foreach(lk_emit_block_table, &bl);
}
