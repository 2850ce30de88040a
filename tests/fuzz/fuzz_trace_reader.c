/* SPDX-License-Identifier: MIT */
/* fuzz_trace_reader.c - libFuzzer target for the collector's untrusted-input path: the trace
 * reader (header, chunk framing, zstd, record decoding), the model, every analysis and both
 * report writers, exactly as leak-report runs them (minus main.c), without symbol files.
 *
 * Random bytes rarely survive a zstd frame with a content checksum, so the first input byte
 * picks how the rest is used:
 *   even  the rest is a whole trace file, as is (header and framing mutations);
 *   odd   the rest is a raw record stream: this target wraps it in a valid header and
 *         1..4 valid chunks (split evenly, the count from the second byte), so mutations
 *         reach the record decoder and the model directly.
 * tests/fuzz/make_seeds.c writes seeds of both kinds from real traces. Built and run by
 * tests/fuzz/run.sh (clang -fsanitize=fuzzer,address,undefined). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "analyze.h"
#include "err.h"
#include "model.h"
#include "report.h"
#include "symbolizer.h"
#include "trace_format.h"
#include "trace_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Wraps raw records into header + n_chunks checksummed zstd chunks. Returns a malloc'd
 * buffer (length in *out_len) or NULL. */
static uint8_t *wrap_records(const uint8_t *raw, size_t raw_len, unsigned n_chunks, size_t *out_len)
{
	static ZSTD_CCtx *cctx;
	size_t cap = TRACE_HEADER_SIZE + n_chunks * TRACE_CHUNK_HEADER_SIZE;
	size_t per = raw_len / n_chunks;
	uint8_t *out, *w;

	if (!cctx) {
		cctx = ZSTD_createCCtx();
		if (!cctx)
			return NULL;
	}
	ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
	cap += n_chunks * ZSTD_compressBound(per + n_chunks);
	out = malloc(cap);
	if (!out)
		return NULL;
	memcpy(out, TRACE_MAGIC, TRACE_MAGIC_LEN);
	put_u16(out + 8, TRACE_VERSION);
	put_u16(out + 10, TRACE_HEADER_SIZE);
	put_u32(out + 12, 0);
	w = out + TRACE_HEADER_SIZE;
	for (unsigned i = 0; i < n_chunks; i++) {
		size_t off = per * i;
		size_t len = i + 1 == n_chunks ? raw_len - off : per;
		size_t c = ZSTD_compress2(cctx, w + TRACE_CHUNK_HEADER_SIZE,
		                          cap - (size_t)(w - out) - TRACE_CHUNK_HEADER_SIZE,
		                          raw + off, len);

		if (ZSTD_isError(c)) {
			free(out);
			return NULL;
		}
		memcpy(w, TRACE_CHUNK_MAGIC, 4);
		put_u32(w + 4, (uint32_t)c);
		put_u32(w + 8, (uint32_t)len);
		w += TRACE_CHUNK_HEADER_SIZE + c;
	}
	*out_len = (size_t)(w - out);
	return out;
}

/* Everything leak-report does with a loaded model, output to /dev/null. */
static void analyze_and_report(struct model *m)
{
	static FILE *devnull;
	struct analyze_opts ao = {0};
	struct report_opts ro = {0};
	struct analysis *a = NULL;
	struct symbolizer *s;
	struct err e;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (analyze_run(m, &ao, &a, &e) != 0)
		return;
	(void)analyze_matches(a, ~0u);
	s = symbolizer_create(false, NULL);
	if (s && devnull) {
		report_json_write(devnull, a, s, &ro, &e);
		report_text_write(devnull, a, s, &ro, &e);
		ro.top = 1;
		report_text_write(devnull, a, s, &ro, &e);
	}
	symbolizer_destroy(s);
	analyze_free(a);
}

/* The incremental API leak-report --follow uses: update until nothing more is applied. */
static void read_incrementally(const uint8_t *buf, size_t len)
{
	struct trace_reader *r;
	struct model *m = model_create();
	struct model_proc *p;
	struct err e;
	bool at_tail = false;

	if (!m)
		return;
	p = model_add_proc(m, "fuzz-follow");
	if (p && trace_reader_open_mem(&r, buf, len, &e) == 0) {
		for (int i = 0; i < 3; i++)
			if (trace_reader_update(r, p, &at_tail, &e) <= 0)
				break;
		trace_reader_close(r);
	}
	model_destroy(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *trace = data + 1;
	size_t len = size - 1;
	uint8_t *wrapped = NULL;
	struct model *m;
	struct err e;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		unsigned n_chunks = size > 1 ? 1u + (data[1] & 3u) : 1u;
		const uint8_t *raw = size > 1 ? data + 2 : data + 1;
		size_t raw_len = size > 1 ? size - 2 : 0;

		wrapped = wrap_records(raw, raw_len, n_chunks, &len);
		if (!wrapped)
			return 0;
		trace = wrapped;
	}
	m = model_create();
	if (m) {
		if (trace_reader_load_mem(m, "fuzz.lkt", trace, len, &e) == 0) {
			/* The same trace twice: two processes in one model, as with a directory. */
			(void)trace_reader_load_mem(m, "fuzz2.lkt", trace, len, &e);
			analyze_and_report(m);
		}
		model_destroy(m);
	}
	read_incrementally(trace, len);
	free(wrapped);
	return 0;
}
