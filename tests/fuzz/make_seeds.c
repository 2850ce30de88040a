/* SPDX-License-Identifier: MIT */
/* make_seeds.c - turns real traces into seeds for fuzz_trace_reader (see its mode byte):
 *   <name>.file       0x00 + the trace as it is
 *   <name>.cutN       0x00 + the trace cut inside chunk N (a truncated trace)
 *   <name>.raw        0x01, chunk count - 1, then every chunk's records decompressed and
 *                     concatenated (the wrapped mode: mutations reach the record decoder)
 *   <name>.rawN       the same for chunk N alone, when the whole stream is too long
 * Seeds longer than MAX_SEED bytes (the fuzzer's -max_len) are not written.
 * usage: make_seeds OUTDIR TRACE... ; prints how many seeds it wrote. Exit 1 on a trace it
 * cannot parse (a seed corpus must come from traces that read). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "trace_format.h"

#define MAX_SEED   65536
#define MAX_CHUNKS 4096

static int n_written;

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void write_seed(const char *dir, const char *base, const char *suffix, uint8_t mode0,
                       int use_mode1, uint8_t mode1, const uint8_t *buf, size_t len)
{
	char path[4096];
	FILE *f;
	size_t total = len + 1 + (use_mode1 ? 1 : 0);

	if (total > MAX_SEED)
		return;
	snprintf(path, sizeof path, "%s/%s.%s", dir, base, suffix);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputc(mode0, f);
	if (use_mode1)
		fputc(mode1, f);
	if (len && fwrite(buf, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	if (fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	n_written++;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				exit(1);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

static int seeds_from(const char *dir, const char *path, int index)
{
	size_t len, off, raw_len = 0, raw_cap = 0;
	uint8_t *buf = read_file(path, &len), *raw = NULL;
	size_t starts[MAX_CHUNKS], raw_starts[MAX_CHUNKS + 1];
	unsigned n = 0;
	char base[64], suffix[32];

	if (!buf || len < TRACE_HEADER_SIZE || memcmp(buf, TRACE_MAGIC, TRACE_MAGIC_LEN) != 0) {
		fprintf(stderr, "make_seeds: %s: not a trace\n", path);
		return -1;
	}
	snprintf(base, sizeof base, "seed%03d", index);
	off = (size_t)buf[10] | (size_t)buf[11] << 8;
	while (off + TRACE_CHUNK_HEADER_SIZE <= len && n < MAX_CHUNKS) {
		uint32_t c = get_u32(buf + off + 4), r = get_u32(buf + off + 8);
		size_t got;

		if (memcmp(buf + off, TRACE_CHUNK_MAGIC, 4) != 0 || c > len - off - 12 ||
		    r > TRACE_CHUNK_MAX_RAW)
			break;
		if (raw_len + r > raw_cap) {
			raw_cap = (raw_len + r) * 2 + 1;
			raw = realloc(raw, raw_cap);
			if (!raw)
				exit(1);
		}
		got = ZSTD_decompress(raw + raw_len, r, buf + off + 12, c);
		if (ZSTD_isError(got) || got != r) {
			fprintf(stderr, "make_seeds: %s: chunk %u does not decompress\n", path, n);
			return -1;
		}
		starts[n] = off;
		raw_starts[n] = raw_len;
		raw_len += r;
		off += 12 + c;
		n++;
	}
	raw_starts[n] = raw_len;
	if (n == 0) {
		fprintf(stderr, "make_seeds: %s: no complete chunk\n", path);
		return -1;
	}
	write_seed(dir, base, "file", 0, 0, 0, buf, len);
	for (unsigned i = 0; i < n && i < 3; i++) {
		size_t cut = starts[i] + TRACE_CHUNK_HEADER_SIZE + 5;

		snprintf(suffix, sizeof suffix, "cut%u", i);
		write_seed(dir, base, suffix, 0, 0, 0, buf, cut < len ? cut : len);
	}
	write_seed(dir, base, "raw", 1, 1, (uint8_t)((n - 1) & 3), raw, raw_len);
	if (raw_len + 2 > MAX_SEED)
		for (unsigned i = 0; i < n && i < 8; i++) {
			snprintf(suffix, sizeof suffix, "raw%u", i);
			write_seed(dir, base, suffix, 1, 1, 0, raw + raw_starts[i],
			           raw_starts[i + 1] - raw_starts[i]);
		}
	free(buf);
	free(raw);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: make_seeds OUTDIR TRACE...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (seeds_from(argv[1], argv[i], i - 2) != 0)
			bad = 1;
	printf("%d seeds from %d traces\n", n_written, argc - 2);
	return bad;
}
