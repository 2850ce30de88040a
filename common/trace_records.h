/* SPDX-License-Identifier: MIT */
/* trace_records.h - the one declaration of every trace record of docs/FORMAT.md: its tag,
 * its name and its fields in payload order. Pure preprocessor, no includes. Everything else
 * is generated from these lists: the tag enum (trace_format.h), the decoded structs
 * (trace_record.h), the encoders and the decoder (trace_codec.h), the round-trip test.
 * Adding a record or a field is one edit here plus its row in docs/FORMAT.md.
 *
 * TRACE_RECORDS(R) calls R(num, TAG, name) per record (num the tag value); TRACE_FIELDS_<name>(F)
 * calls F(kind, ...) per field. The kinds (their encoding and limits are in trace_codec.h): U(name)
 * unsigned varint                                  uint64_t ID(name)             unsigned varint a
 * reader requires below 2^32     uint64_t S(name)              signed varint (zigzag) int64_t
 *   STR(name, max)       length + bytes, at most max                      struct trace_str
 *   BYTES(name, max)     the same, binary                                 struct trace_str
 *   ARGV(count, items)   count, then count STR (PROCESS argv)             uint32_t + array
 *   FRAMES(count, items) count, frame 0 as U, then S deltas (STACK)      uint32_t + array
 *   OPT_U(name)          U appended after the first writers: older traces end before it,
 *                        so it may be absent (has_<name> false); a field appended to an
 *                        existing record must be an OPT_ kind, and only OPT_ kinds may
 *                        follow one. */
#ifndef LEAK_COMMON_TRACE_RECORDS_H
#define LEAK_COMMON_TRACE_RECORDS_H

#define TRACE_RECORDS(R)                                                                           \
	R(1, PROCESS, process)                                                                     \
	R(2, MODULE, module)                                                                       \
	R(3, MODULE_UNLOAD, module_unload)                                                         \
	R(4, STACK, stack)                                                                         \
	R(5, SNAPSHOT, snapshot)                                                                   \
	R(6, SITE, site)                                                                           \
	R(7, BLOCK, block)                                                                         \
	R(8, FD_OPEN, fd_open)                                                                     \
	R(9, FD_CLOSE, fd_close)                                                                   \
	R(10, CHILD, child)                                                                        \
	R(11, THREAD, thread)                                                                      \
	R(12, TEMPFILE, tempfile)                                                                  \
	R(13, EXEC, exec)                                                                          \
	R(14, END, end)                                                                            \
	R(15, PY_CODE, py_code)                                                                    \
	R(40, SCAN, scan)                                                                          \
	R(41, SCAN_THREAD, scan_thread)                                                            \
	R(80, JS_CODE, js_code)                                                                    \
	R(90, PREEXISTING, preexisting)

#define TRACE_FIELDS_process(F)                                                                    \
	F(ID, pid)                                                                                 \
	F(ID, ppid)                                                                                \
	F(U, start_ns)                                                                             \
	F(U, flags)                                                                                \
	F(U, interval_ms)                                                                          \
	F(U, sample_bytes)                                                                         \
	F(U, depth)                                                                                \
	F(STR, exe, TRACE_MAX_STR)                                                                 \
	F(ARGV, argc, argv)

#define TRACE_FIELDS_module(F)                                                                     \
	F(ID, id)                                                                                  \
	F(U, base)                                                                                 \
	F(U, lo)                                                                                   \
	F(U, hi)                                                                                   \
	F(U, t_ns)                                                                                 \
	F(STR, path, TRACE_MAX_STR)                                                                \
	F(BYTES, build_id, TRACE_MAX_STR)                                                          \
	F(OPT_U, flags)

#define TRACE_FIELDS_module_unload(F)                                                              \
	F(ID, id)                                                                                  \
	F(U, t_ns)

#define TRACE_FIELDS_stack(F)                                                                      \
	F(ID, id)                                                                                  \
	F(FRAMES, n, frames)

#define TRACE_FIELDS_snapshot(F)                                                                   \
	F(U, seq)                                                                                  \
	F(U, t_ns)                                                                                 \
	F(U, rss_bytes)                                                                            \
	F(U, live_bytes)                                                                           \
	F(U, live_blocks)                                                                          \
	F(U, total_allocs)                                                                         \
	F(U, total_frees)                                                                          \
	F(U, total_alloc_bytes)                                                                    \
	F(U, dropped_events)                                                                       \
	F(U, flags)

#define TRACE_FIELDS_site(F)                                                                       \
	F(ID, stack_id)                                                                            \
	F(U, live_bytes)                                                                           \
	F(U, live_count)                                                                           \
	F(U, total_allocs)                                                                         \
	F(U, total_frees)                                                                          \
	F(U, total_alloc_bytes)

#define TRACE_FIELDS_block(F)                                                                      \
	F(U, addr)                                                                                 \
	F(U, size)                                                                                 \
	F(ID, stack_id)                                                                            \
	F(U, flags)                                                                                \
	F(OPT_U, owner)

#define TRACE_FIELDS_fd_open(F)                                                                    \
	F(ID, fd)                                                                                  \
	F(ID, gen)                                                                                 \
	F(U, type)                                                                                 \
	F(U, flags)                                                                                \
	F(ID, stack_id)                                                                            \
	F(U, t_ns)                                                                                 \
	F(STR, path, TRACE_MAX_STR)                                                                \
	F(STR, peer, TRACE_MAX_STR)                                                                \
	F(STR, api, TRACE_MAX_STR)

#define TRACE_FIELDS_fd_close(F)                                                                   \
	F(ID, fd)                                                                                  \
	F(ID, gen)                                                                                 \
	F(U, t_ns)

#define TRACE_FIELDS_child(F)                                                                      \
	F(ID, pid)                                                                                 \
	F(ID, stack_id)                                                                            \
	F(U, t_ns)                                                                                 \
	F(U, state)                                                                                \
	F(STR, api, TRACE_MAX_STR)                                                                 \
	F(STR, cmd, TRACE_MAX_STR)                                                                 \
	F(OPT_U, wstatus)

#define TRACE_FIELDS_thread(F)                                                                     \
	F(ID, tid)                                                                                 \
	F(ID, stack_id)                                                                            \
	F(U, t_ns)                                                                                 \
	F(U, state)

#define TRACE_FIELDS_tempfile(F)                                                                   \
	F(ID, stack_id)                                                                            \
	F(U, t_ns)                                                                                 \
	F(STR, path, TRACE_MAX_STR)                                                                \
	F(U, state)                                                                                \
	F(STR, api, TRACE_MAX_STR)

#define TRACE_FIELDS_exec(F)                                                                       \
	F(U, t_ns)                                                                                 \
	F(STR, path, TRACE_MAX_STR)

/* The exit scan's roots (before the final BLOCKs): threads stopped, threads missed. */
#define TRACE_FIELDS_scan(F)                                                                       \
	F(U, flags)                                                                                \
	F(U, threads_stopped)                                                                      \
	F(U, threads_missed)                                                                       \
	F(U, anon_bytes)

/* A thread the exit scan could not stop (one record each, after SCAN). */
#define TRACE_FIELDS_scan_thread(F)                                                                \
	F(ID, tid)                                                                                 \
	F(U, reason)                                                                               \
	F(STR, name, TRACE_MAX_STR)

#define TRACE_FIELDS_py_code(F)                                                                    \
	F(ID, id)                                                                                  \
	F(U, py_version)                                                                           \
	F(U, firstlineno)                                                                          \
	F(STR, qualname, TRACE_MAX_STR)                                                            \
	F(STR, filename, TRACE_MAX_STR)                                                            \
	F(BYTES, linetable, TRACE_MAX_STR)

/* A range of V8 code named by node's perf map (--perf-basic-prof), read at snapshot time:
 * one record per map line covering a frame of the STACKs that follow. Ranges may overlap
 * (V8 reused the address): a reader names a frame only if all that cover it name one function. */
#define TRACE_FIELDS_js_code(F)                                                                    \
	F(U, start)                                                                                \
	F(U, size)                                                                                 \
	F(STR, name, TRACE_MAX_STR)

#define TRACE_FIELDS_end(F)                                                                        \
	F(U, t_ns)                                                                                 \
	F(U, reason)                                                                               \
	F(S, status)

/* A thread or child that existed when an attach window began (TRACE_PRE_*): never a finding. */
#define TRACE_FIELDS_preexisting(F)                                                                \
	F(U, kind)                                                                                 \
	F(ID, id)                                                                                  \
	F(STR, name, TRACE_MAX_STR)

#endif
