/* SPDX-License-Identifier: MIT */
/* trace_stats.c - a small reader of docs/FORMAT.md traces for the benchmarks: counts records
 * and chunk sizes so bench.sh can report bytes per event, tell whether sampling was on
 * (PROCESS.sample_bytes), and extrapolate the size of a one-hour trace from the size of a
 * steady-state snapshot chunk. It decodes with common/trace_codec.h (every limit checked), so it
 * also checks bench/gen_trace.c's output against the format without depending on leak-report.
 * Usage: trace_stats FILE... Prints one key=value line per file and a "total" line; exit 1 if a
 * file is corrupt (a truncated tail is reported, not an error). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "trace_codec.h"
#include "trace_format.h"
#include "varint.h"

typedef struct {
	uint64_t bytes, chunks, snapshots, stacks, sites, blocks, modules, fds, records;
	uint64_t allocs, frees, dropped, sample_bytes, interval_ms, proc_flags, first_chunk,
	    has_end;
	int truncated;
	uint64_t *chunk_sizes;
	size_t n_sizes, cap_sizes;
} stats_t;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static struct trace_record rec;

static int parse_records(stats_t *s, const uint8_t *p, size_t n)
{
	trace_cur_t c = {p, p + n, 0};
	while (c.p < c.end) {
		uint8_t tag = *c.p++;
		uint64_t len = trace_get_u(&c);
		if (c.err || len > (uint64_t)(c.end - c.p))
			return -1;
		trace_cur_t r = {c.p, c.p + len, 0};
		c.p += len;
		s->records++;
		const char *why;
		int rc = trace_decode(tag, &r, &rec, &why);
		if (rc < 0)
			return -1;
		if (rc > 0)
			continue; /* a tag this build does not know */
		switch (rec.tag) {
		case TRACE_TAG_PROCESS:
			s->proc_flags = rec.u.process.flags;
			s->interval_ms = rec.u.process.interval_ms;
			s->sample_bytes = rec.u.process.sample_bytes;
			break;
		case TRACE_TAG_MODULE:
			s->modules++;
			break;
		case TRACE_TAG_STACK:
			s->stacks++;
			break;
		case TRACE_TAG_SNAPSHOT:
			s->snapshots++;
			s->allocs = rec.u.snapshot.total_allocs;
			s->frees = rec.u.snapshot.total_frees;
			s->dropped = rec.u.snapshot.dropped_events;
			break;
		case TRACE_TAG_SITE:
			s->sites++;
			break;
		case TRACE_TAG_BLOCK:
			s->blocks++;
			break;
		case TRACE_TAG_FD_OPEN:
			s->fds++;
			break;
		case TRACE_TAG_END:
			s->has_end = 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

static int read_trace(const char *path, stats_t *s)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return -1;
	}
	uint8_t hdr[TRACE_HEADER_SIZE];
	int rc = -1;
	uint8_t *cbuf = NULL, *rbuf = NULL;
	if (fread(hdr, 1, sizeof hdr, f) != sizeof hdr || memcmp(hdr, TRACE_MAGIC, 8) != 0) {
		fprintf(stderr, "%s: not a libleak trace\n", path);
		goto out;
	}
	uint16_t hsize = (uint16_t)(hdr[10] | hdr[11] << 8);
	if (fseek(f, hsize, SEEK_SET) != 0)
		goto out;
	s->bytes = hsize;
	for (;;) {
		uint8_t ch[TRACE_CHUNK_HEADER_SIZE];
		size_t got = fread(ch, 1, sizeof ch, f);
		if (got == 0)
			break;
		if (got < sizeof ch) {
			s->truncated = 1;
			break;
		}
		uint32_t clen = (uint32_t)ch[4] | (uint32_t)ch[5] << 8 | (uint32_t)ch[6] << 16 |
		                (uint32_t)ch[7] << 24;
		uint32_t rlen = (uint32_t)ch[8] | (uint32_t)ch[9] << 8 | (uint32_t)ch[10] << 16 |
		                (uint32_t)ch[11] << 24;
		if (memcmp(ch, TRACE_CHUNK_MAGIC, 4) != 0 || clen == 0 ||
		    clen > TRACE_CHUNK_MAX_COMPRESSED || rlen > TRACE_CHUNK_MAX_RAW) {
			fprintf(stderr, "%s: bad chunk header at chunk %llu\n", path,
			        (unsigned long long)s->chunks);
			goto out;
		}
		free(cbuf);
		free(rbuf);
		cbuf = malloc(clen);
		rbuf = malloc(rlen ? rlen : 1);
		if (!cbuf || !rbuf)
			goto out;
		if (fread(cbuf, 1, clen, f) != clen) {
			s->truncated = 1;
			break;
		}
		size_t d = ZSTD_decompress(rbuf, rlen, cbuf, clen);
		if (ZSTD_isError(d) || d != rlen) {
			fprintf(stderr, "%s: chunk %llu does not decompress to %u bytes\n", path,
			        (unsigned long long)s->chunks, rlen);
			goto out;
		}
		if (parse_records(s, rbuf, rlen) != 0) {
			fprintf(stderr, "%s: malformed record in chunk %llu\n", path,
			        (unsigned long long)s->chunks);
			goto out;
		}
		uint64_t size = TRACE_CHUNK_HEADER_SIZE + (uint64_t)clen;
		s->bytes += size;
		if (s->chunks == 0)
			s->first_chunk = size;
		if (s->n_sizes == s->cap_sizes) {
			s->cap_sizes = s->cap_sizes ? 2 * s->cap_sizes : 64;
			uint64_t *n = realloc(s->chunk_sizes, s->cap_sizes * sizeof *n);
			if (!n)
				goto out;
			s->chunk_sizes = n;
		}
		s->chunk_sizes[s->n_sizes++] = size;
		s->chunks++;
	}
	rc = 0;
out:
	free(cbuf);
	free(rbuf);
	fclose(f);
	return rc;
}

/* Median size of the chunks between the first (process, modules, most stacks) and the last
 * (final snapshot with its BLOCK records): what every further snapshot interval costs. */
static uint64_t steady_chunk(const stats_t *s)
{
	if (s->n_sizes < 3)
		return 0;
	size_t n = s->n_sizes - 2;
	uint64_t *v = malloc(n * sizeof *v);
	if (!v)
		return 0;
	memcpy(v, s->chunk_sizes + 1, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_u64);
	uint64_t m = v[n / 2];
	free(v);
	return m;
}

static void print_stats(const char *name, const stats_t *s)
{
	printf("%s bytes=%llu chunks=%llu snapshots=%llu stacks=%llu sites=%llu blocks=%llu "
	       "modules=%llu fds=%llu events=%llu allocs=%llu frees=%llu dropped=%llu "
	       "sample_bytes=%llu "
	       "interval_ms=%llu flags=%llu first_chunk=%llu steady_chunk=%llu end=%llu "
	       "truncated=%d\n",
	       name, (unsigned long long)s->bytes, (unsigned long long)s->chunks,
	       (unsigned long long)s->snapshots, (unsigned long long)s->stacks,
	       (unsigned long long)s->sites, (unsigned long long)s->blocks,
	       (unsigned long long)s->modules, (unsigned long long)s->fds,
	       (unsigned long long)(s->allocs + s->frees), (unsigned long long)s->allocs,
	       (unsigned long long)s->frees, (unsigned long long)s->dropped,
	       (unsigned long long)s->sample_bytes, (unsigned long long)s->interval_ms,
	       (unsigned long long)s->proc_flags, (unsigned long long)s->first_chunk,
	       (unsigned long long)steady_chunk(s), (unsigned long long)s->has_end, s->truncated);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: trace_stats FILE...\n");
		return 2;
	}
	stats_t tot = {0};
	int bad = 0, have_parent = 0;
	for (int i = 1; i < argc; i++) {
		stats_t s = {0};
		if (read_trace(argv[i], &s) != 0) {
			bad = 1;
			free(s.chunk_sizes);
			continue;
		}
		print_stats(argv[i], &s);
		tot.bytes += s.bytes;
		tot.chunks += s.chunks;
		tot.snapshots += s.snapshots;
		tot.stacks += s.stacks;
		tot.sites += s.sites;
		tot.blocks += s.blocks;
		tot.modules += s.modules;
		tot.fds += s.fds;
		tot.allocs += s.allocs;
		tot.frees += s.frees;
		tot.dropped += s.dropped;
		tot.has_end += s.has_end;
		tot.truncated |= s.truncated;
		/* Per-process fields come from the traced parent (not a forked child). */
		if (!have_parent && !(s.proc_flags & TRACE_PROC_FORKED)) {
			have_parent = 1;
			tot.sample_bytes = s.sample_bytes;
			tot.interval_ms = s.interval_ms;
			tot.proc_flags = s.proc_flags;
			tot.first_chunk = s.first_chunk;
			free(tot.chunk_sizes);
			tot.chunk_sizes = s.chunk_sizes;
			tot.n_sizes = s.n_sizes;
			s.chunk_sizes = NULL;
		}
		free(s.chunk_sizes);
	}
	printf("files=%d ", argc - 1);
	print_stats("total", &tot);
	free(tot.chunk_sizes);
	return bad;
}
