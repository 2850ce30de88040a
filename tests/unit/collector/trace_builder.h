/* trace_builder.h - builds libleak traces in memory for the collector's unit tests, with the
 * same common/varint.h encoders the preload uses, so the tests exercise the real framing.
 * Records go into the current chunk; tb_flush() compresses it into the file image. Test code
 * only: static functions, abort() on out of memory. */
#ifndef LEAK_TESTS_TRACE_BUILDER_H
#define LEAK_TESTS_TRACE_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

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

static inline void tb_str(trace_buf_t *b, const char *s)
{
	trace_put_bytes(b, s, s ? strlen(s) : 0);
}

/* A PROCESS record; sample_bytes 0 = every allocation tracked. */
static inline void tb_process_sampled(struct tb *t, uint64_t pid, uint64_t ppid, uint64_t start_ns,
                                      uint64_t flags, uint64_t sample_bytes, const char *exe,
                                      int argc, const char *const *argv)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_PROCESS);
	trace_put_u(&t->chunk, pid);
	trace_put_u(&t->chunk, ppid);
	trace_put_u(&t->chunk, start_ns);
	trace_put_u(&t->chunk, flags);
	trace_put_u(&t->chunk, 100); /* interval_ms */
	trace_put_u(&t->chunk, sample_bytes);
	trace_put_u(&t->chunk, 64); /* depth */
	tb_str(&t->chunk, exe);
	trace_put_u(&t->chunk, (uint64_t)argc);
	for (int i = 0; i < argc; i++)
		tb_str(&t->chunk, argv[i]);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_process(struct tb *t, uint64_t pid, uint64_t ppid, uint64_t start_ns,
                              uint64_t flags, const char *exe, int argc, const char *const *argv)
{
	tb_process_sampled(t, pid, ppid, start_ns, flags, 0, exe, argc, argv);
}

static inline void tb_module(struct tb *t, uint64_t id, uint64_t base, uint64_t lo, uint64_t hi,
                             const char *path, const void *build_id, size_t build_id_len)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_MODULE);
	trace_put_u(&t->chunk, id);
	trace_put_u(&t->chunk, base);
	trace_put_u(&t->chunk, lo);
	trace_put_u(&t->chunk, hi);
	trace_put_u(&t->chunk, 0);
	tb_str(&t->chunk, path);
	trace_put_bytes(&t->chunk, build_id, build_id_len);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_module_unload(struct tb *t, uint64_t id, uint64_t t_ns)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_MODULE_UNLOAD);
	trace_put_u(&t->chunk, id);
	trace_put_u(&t->chunk, t_ns);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_stack(struct tb *t, uint64_t id, unsigned n, const uint64_t *frames)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_STACK);
	trace_put_u(&t->chunk, id);
	trace_put_u(&t->chunk, n);
	for (unsigned i = 0; i < n; i++) {
		if (i == 0)
			trace_put_u(&t->chunk, frames[0]);
		else
			trace_put_s(&t->chunk, (int64_t)(frames[i] - frames[i - 1]));
	}
	trace_rec_end(&t->chunk, r);
}

static inline void tb_snapshot(struct tb *t, uint64_t seq, uint64_t t_ns, uint64_t live_bytes,
                               uint64_t live_blocks, uint64_t dropped, uint64_t flags)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_SNAPSHOT);
	trace_put_u(&t->chunk, seq);
	trace_put_u(&t->chunk, t_ns);
	trace_put_u(&t->chunk, 4096 * 100); /* rss */
	trace_put_u(&t->chunk, live_bytes);
	trace_put_u(&t->chunk, live_blocks);
	trace_put_u(&t->chunk, live_blocks + 10); /* total_allocs */
	trace_put_u(&t->chunk, 10);               /* total_frees */
	trace_put_u(&t->chunk, live_bytes + 1000);
	trace_put_u(&t->chunk, dropped);
	trace_put_u(&t->chunk, flags);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_site(struct tb *t, uint64_t stack_id, uint64_t live_bytes,
                           uint64_t live_count)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_SITE);
	trace_put_u(&t->chunk, stack_id);
	trace_put_u(&t->chunk, live_bytes);
	trace_put_u(&t->chunk, live_count);
	trace_put_u(&t->chunk, live_count + 1);
	trace_put_u(&t->chunk, 1);
	trace_put_u(&t->chunk, live_bytes + 7);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_block(struct tb *t, uint64_t addr, uint64_t size, uint64_t stack_id,
                            uint64_t flags)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_BLOCK);
	trace_put_u(&t->chunk, addr);
	trace_put_u(&t->chunk, size);
	trace_put_u(&t->chunk, stack_id);
	trace_put_u(&t->chunk, flags);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_fd_open(struct tb *t, uint64_t fd, uint64_t gen, uint64_t type,
                              uint64_t flags, uint64_t stack_id, const char *path, const char *peer,
                              const char *api)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_FD_OPEN);
	trace_put_u(&t->chunk, fd);
	trace_put_u(&t->chunk, gen);
	trace_put_u(&t->chunk, type);
	trace_put_u(&t->chunk, flags);
	trace_put_u(&t->chunk, stack_id);
	trace_put_u(&t->chunk, 5);
	tb_str(&t->chunk, path);
	tb_str(&t->chunk, peer);
	tb_str(&t->chunk, api);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_fd_close(struct tb *t, uint64_t fd, uint64_t gen)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_FD_CLOSE);
	trace_put_u(&t->chunk, fd);
	trace_put_u(&t->chunk, gen);
	trace_put_u(&t->chunk, 9);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_child(struct tb *t, uint64_t pid, uint64_t stack_id, uint64_t t_ns,
                            uint64_t state, const char *api, const char *cmd)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_CHILD);
	trace_put_u(&t->chunk, pid);
	trace_put_u(&t->chunk, stack_id);
	trace_put_u(&t->chunk, t_ns);
	trace_put_u(&t->chunk, state);
	tb_str(&t->chunk, api);
	tb_str(&t->chunk, cmd);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_thread(struct tb *t, uint64_t tid, uint64_t stack_id, uint64_t t_ns,
                             uint64_t state)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_THREAD);
	trace_put_u(&t->chunk, tid);
	trace_put_u(&t->chunk, stack_id);
	trace_put_u(&t->chunk, t_ns);
	trace_put_u(&t->chunk, state);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_tempfile(struct tb *t, uint64_t stack_id, uint64_t t_ns, const char *path,
                               uint64_t state, const char *api)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_TEMPFILE);
	trace_put_u(&t->chunk, stack_id);
	trace_put_u(&t->chunk, t_ns);
	tb_str(&t->chunk, path);
	trace_put_u(&t->chunk, state);
	tb_str(&t->chunk, api);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_exec(struct tb *t, uint64_t t_ns, const char *path)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_EXEC);
	trace_put_u(&t->chunk, t_ns);
	tb_str(&t->chunk, path);
	trace_rec_end(&t->chunk, r);
}

static inline void tb_end(struct tb *t, uint64_t t_ns, uint64_t reason, int64_t status)
{
	size_t r = trace_rec_begin(&t->chunk, TRACE_TAG_END);
	trace_put_u(&t->chunk, t_ns);
	trace_put_u(&t->chunk, reason);
	trace_put_s(&t->chunk, status);
	trace_rec_end(&t->chunk, r);
}

/* An unknown tag with a payload, and a known record with extra trailing bytes: both must be
 * tolerated by readers (FORMAT.md versioning rules). */
static inline void tb_unknown(struct tb *t, uint8_t tag, size_t n)
{
	size_t r = trace_rec_begin(&t->chunk, tag);
	for (size_t i = 0; i < n; i++)
		trace_put_u(&t->chunk, i);
	trace_rec_end(&t->chunk, r);
}

#endif
