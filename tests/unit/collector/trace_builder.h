/* SPDX-License-Identifier: MIT */
/* trace_builder.h - builds libleak traces in memory for the collector's unit tests, with the
 * same common/trace_codec.h encoders the preload uses, so the tests exercise the real bytes.
 * Records go into the current chunk; tb_flush() compresses it into the file image. Test code
 * only: static functions, abort() on out of memory. */
#ifndef LEAK_TESTS_TRACE_BUILDER_H
#define LEAK_TESTS_TRACE_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "trace_codec.h"
#include "trace_format.h"
#include "varint.h"

static inline int tb_grow(trace_buf_t *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	uint8_t *d = realloc(b->data, cap);
	if (!d)
		abort();
	b->data = d;
	b->cap = cap;
	return 0;
}

struct tb {
	trace_buf_t chunk;
	trace_buf_t file;
};

static inline void tb_raw(trace_buf_t *b, const void *p, size_t n)
{
	trace_buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void tb_le(trace_buf_t *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(v >> (8 * i));
		tb_raw(b, &c, 1);
	}
}

/* Starts a file with a header of the given version. */
static inline void tb_init_version(struct tb *t, unsigned version)
{
	memset(t, 0, sizeof(*t));
	t->chunk.grow = tb_grow;
	t->file.grow = tb_grow;
	tb_raw(&t->file, TRACE_MAGIC, TRACE_MAGIC_LEN);
	tb_le(&t->file, version, 2);
	tb_le(&t->file, TRACE_HEADER_SIZE, 2);
	tb_le(&t->file, 0, 4);
}

static inline void tb_init(struct tb *t)
{
	tb_init_version(t, TRACE_VERSION);
}

static inline void tb_free(struct tb *t)
{
	free(t->chunk.data);
	free(t->file.data);
}

/* Compresses the pending records as one chunk. */
static inline void tb_flush(struct tb *t)
{
	size_t bound = ZSTD_compressBound(t->chunk.len);
	uint8_t *z = malloc(bound);
	if (!z)
		abort();
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 1);
	size_t n = ZSTD_compress2(cc, z, bound, t->chunk.data, t->chunk.len);
	ZSTD_freeCCtx(cc);
	if (ZSTD_isError(n))
		abort();
	tb_raw(&t->file, TRACE_CHUNK_MAGIC, 4);
	tb_le(&t->file, n, 4);
	tb_le(&t->file, t->chunk.len, 4);
	tb_raw(&t->file, z, n);
	free(z);
	t->chunk.len = 0;
}

/* A NUL-terminated string (or NULL: empty) as a record field. */
static inline struct trace_str tb_s(const char *s)
{
	struct trace_str r = {(const uint8_t *)s, s ? strlen(s) : 0};
	return r;
}

/* A PROCESS record; sample_bytes 0 = every allocation tracked. */
static inline void tb_process_sampled(struct tb *t, uint64_t pid, uint64_t ppid, uint64_t start_ns,
                                      uint64_t flags, uint64_t sample_bytes, const char *exe,
                                      int argc, const char *const *argv)
{
	struct trace_str args[TRACE_MAX_ARGC];
	for (int i = 0; i < argc && i < (int)TRACE_MAX_ARGC; i++)
		args[i] = tb_s(argv[i]);
	trace_enc_process(&t->chunk, &(struct trace_rec_process){
	                                 .pid = pid,
	                                 .ppid = ppid,
	                                 .start_ns = start_ns,
	                                 .flags = flags,
	                                 .interval_ms = 100,
	                                 .sample_bytes = sample_bytes,
	                                 .depth = 64,
	                                 .exe = tb_s(exe),
	                                 .argc = (uint32_t)argc,
	                                 .argv = args,
	                             });
}

static inline void tb_process(struct tb *t, uint64_t pid, uint64_t ppid, uint64_t start_ns,
                              uint64_t flags, const char *exe, int argc, const char *const *argv)
{
	tb_process_sampled(t, pid, ppid, start_ns, flags, 0, exe, argc, argv);
}

/* A MODULE record as the first writers wrote it, without the flags field. */
static inline void tb_module(struct tb *t, uint64_t id, uint64_t base, uint64_t lo, uint64_t hi,
                             const char *path, const void *build_id, size_t build_id_len)
{
	trace_enc_module(&t->chunk, &(struct trace_rec_module){
	                                .id = id,
	                                .base = base,
	                                .lo = lo,
	                                .hi = hi,
	                                .path = tb_s(path),
	                                .build_id = {build_id, build_id_len},
	                            });
}

/* A MODULE record with its flags field (TRACE_MODULE_SELF ...), as today's writer does. */
static inline void tb_module_flags(struct tb *t, uint64_t id, uint64_t base, uint64_t lo,
                                   uint64_t hi, const char *path, uint64_t flags)
{
	trace_enc_module(&t->chunk, &(struct trace_rec_module){
	                                .id = id,
	                                .base = base,
	                                .lo = lo,
	                                .hi = hi,
	                                .path = tb_s(path),
	                                .flags = flags,
	                                .has_flags = true,
	                            });
}

static inline void tb_module_unload(struct tb *t, uint64_t id, uint64_t t_ns)
{
	trace_enc_module_unload(&t->chunk,
	                        &(struct trace_rec_module_unload){.id = id, .t_ns = t_ns});
}

static inline void tb_stack(struct tb *t, uint64_t id, unsigned n, const uint64_t *frames)
{
	trace_enc_stack(&t->chunk, &(struct trace_rec_stack){.id = id, .n = n, .frames = frames});
}

static inline void tb_snapshot(struct tb *t, uint64_t seq, uint64_t t_ns, uint64_t live_bytes,
                               uint64_t live_blocks, uint64_t dropped, uint64_t flags)
{
	trace_enc_snapshot(&t->chunk, &(struct trace_rec_snapshot){
	                                  .seq = seq,
	                                  .t_ns = t_ns,
	                                  .rss_bytes = 4096 * 100,
	                                  .live_bytes = live_bytes,
	                                  .live_blocks = live_blocks,
	                                  .total_allocs = live_blocks + 10,
	                                  .total_frees = 10,
	                                  .total_alloc_bytes = live_bytes + 1000,
	                                  .dropped_events = dropped,
	                                  .flags = flags,
	                              });
}

static inline void tb_site(struct tb *t, uint64_t stack_id, uint64_t live_bytes,
                           uint64_t live_count)
{
	trace_enc_site(&t->chunk, &(struct trace_rec_site){
	                              .stack_id = stack_id,
	                              .live_bytes = live_bytes,
	                              .live_count = live_count,
	                              .total_allocs = live_count + 1,
	                              .total_frees = 1,
	                              .total_alloc_bytes = live_bytes + 7,
	                          });
}

static inline void tb_block(struct tb *t, uint64_t addr, uint64_t size, uint64_t stack_id,
                            uint64_t flags)
{
	trace_enc_block(&t->chunk,
	                &(struct trace_rec_block){
	                    .addr = addr, .size = size, .stack_id = stack_id, .flags = flags});
}

/* An indirect block with its BLOCK.owner: the block leaked directly that holds it. */
static inline void tb_block_owned(struct tb *t, uint64_t addr, uint64_t size, uint64_t stack_id,
                                  uint64_t owner)
{
	trace_enc_block(&t->chunk, &(struct trace_rec_block){.addr = addr,
	                                                     .size = size,
	                                                     .stack_id = stack_id,
	                                                     .flags = TRACE_BLOCK_SCANNED |
	                                                              TRACE_BLOCK_INDIRECT,
	                                                     .owner = owner,
	                                                     .has_owner = 1});
}

static inline void tb_fd_open(struct tb *t, uint64_t fd, uint64_t gen, uint64_t type,
                              uint64_t flags, uint64_t stack_id, const char *path, const char *peer,
                              const char *api)
{
	trace_enc_fd_open(&t->chunk, &(struct trace_rec_fd_open){
	                                 .fd = fd,
	                                 .gen = gen,
	                                 .type = type,
	                                 .flags = flags,
	                                 .stack_id = stack_id,
	                                 .t_ns = 5,
	                                 .path = tb_s(path),
	                                 .peer = tb_s(peer),
	                                 .api = tb_s(api),
	                             });
}

static inline void tb_fd_close(struct tb *t, uint64_t fd, uint64_t gen)
{
	trace_enc_fd_close(&t->chunk,
	                   &(struct trace_rec_fd_close){.fd = fd, .gen = gen, .t_ns = 9});
}

static inline void tb_child(struct tb *t, uint64_t pid, uint64_t stack_id, uint64_t t_ns,
                            uint64_t state, const char *api, const char *cmd)
{
	trace_enc_child(&t->chunk, &(struct trace_rec_child){
	                               .pid = pid,
	                               .stack_id = stack_id,
	                               .t_ns = t_ns,
	                               .state = state,
	                               .api = tb_s(api),
	                               .cmd = tb_s(cmd),
	                           });
}

static inline void tb_thread(struct tb *t, uint64_t tid, uint64_t stack_id, uint64_t t_ns,
                             uint64_t state)
{
	trace_enc_thread(&t->chunk,
	                 &(struct trace_rec_thread){
	                     .tid = tid, .stack_id = stack_id, .t_ns = t_ns, .state = state});
}

static inline void tb_tempfile(struct tb *t, uint64_t stack_id, uint64_t t_ns, const char *path,
                               uint64_t state, const char *api)
{
	trace_enc_tempfile(&t->chunk, &(struct trace_rec_tempfile){
	                                  .stack_id = stack_id,
	                                  .t_ns = t_ns,
	                                  .path = tb_s(path),
	                                  .state = state,
	                                  .api = tb_s(api),
	                              });
}

/* A Python code object with an empty line table: every frame of it is at firstlineno. */
static inline void tb_py_code(struct tb *t, uint64_t id, uint64_t firstlineno, const char *qualname,
                              const char *filename)
{
	trace_enc_py_code(&t->chunk, &(struct trace_rec_py_code){
	                                 .id = id,
	                                 .py_version = 0x030b,
	                                 .firstlineno = firstlineno,
	                                 .qualname = tb_s(qualname),
	                                 .filename = tb_s(filename),
	                                 .linetable = tb_s(""),
	                             });
}

static inline void tb_exec(struct tb *t, uint64_t t_ns, const char *path)
{
	trace_enc_exec(&t->chunk, &(struct trace_rec_exec){.t_ns = t_ns, .path = tb_s(path)});
}

static inline void tb_end(struct tb *t, uint64_t t_ns, uint64_t reason, int64_t status)
{
	trace_enc_end(&t->chunk,
	              &(struct trace_rec_end){.t_ns = t_ns, .reason = reason, .status = status});
}

/* A record of a tag no build knows, n varints of payload, that readers must skip (FORMAT.md
 * versioning rules). Written by hand: trace_records.h has no such record to encode. */
static inline void tb_unknown(struct tb *t, uint8_t tag, size_t n)
{
	size_t r = trace_rec_begin(&t->chunk, tag);
	for (size_t i = 0; i < n; i++)
		trace_put_u(&t->chunk, i);
	trace_rec_end(&t->chunk, r);
}

#endif
