/* SPDX-License-Identifier: MIT */
/* snapshot_emit.h - the heap records of a snapshot chunk, encoded with common/trace_codec.h:
 * PROCESS (with argv from /proc/self/cmdline), the new MODULE and STACK records, and the final
 * snapshot's BLOCK records (written out in pieces as they pile up). The writer decides when;
 * these functions only encode. Snapshot lock held (they use static scratch); nothing here
 * allocates through an intercepted function. */
#ifndef LEAK_PRELOAD_SNAPSHOT_EMIT_H
#define LEAK_PRELOAD_SNAPSHOT_EMIT_H

#include <stdint.h>

#include "varint.h"

/* The PROCESS record: pid, the given ppid, start time (CLOCK_REALTIME ns) and flags (the
 * sampled bit is added here), the settings, the executable and argv. */
void lk_emit_process(trace_buf_t *b, int ppid, uint64_t start_rt_ns, uint32_t flags);

/* MODULE/MODULE_UNLOAD records for what changed, then STACK records for ids from+1..upto
 * (rescanning the modules once if a frame lies in none, so every MODULE precedes the STACKs
 * in it). */
void lk_emit_stacks(trace_buf_t *b, uint32_t from, uint32_t upto);

/* The final snapshot's BLOCK records, one per live block. scanned: the reachability scan ran
 * (preload/reach.c), so its flags and address order are used; else the heap table's blocks
 * with flags 0. unreached_only (with scanned): none for a block the scan reached. Every
 * LK_BLOCK_CHUNK bytes the buffer is written out as a chunk of its own. lk_emit_blocks_max_stack
 * first returns the largest stack id they name, whose STACK must come before them. A piece that
 * fails to write is dropped (the trace ends short of END). */
uint32_t lk_emit_blocks_max_stack(int scanned);
void lk_emit_blocks(trace_buf_t *b, int scanned, int unreached_only);

#endif
