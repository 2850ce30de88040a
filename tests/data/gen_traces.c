/* SPDX-License-Identifier: MIT */
/* gen_traces.c - writes the hand-made traces of tests/data (committed, so tests need no
 * generator at run time; rerun after a format change):
 *   cc -std=gnu11 -Icommon -Itests/unit/collector tests/data/gen_traces.c -lzstd \
 *      -o /tmp/gen_traces && /tmp/gen_traces tests/data
 * empty.lkt (0 bytes), random.lkt (4 KiB of LCG bytes), foreign.lkt (an ELF header),
 * v99.lkt (format version 99), corrupt.lkt (first chunk's zstd frame damaged),
 * truncated.lkt (sample.lkt cut in the middle of its last chunk), sample.lkt (a complete
 * trace with one finding of every kind; sample.json is its --no-symbols --json report). */
#include <stdio.h>

#include "trace_builder.h"

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

static const char *const argv2[] = {"/usr/local/bin/server", "--port=5000"};

static void sample(struct tb *t)
{
	tb_init(t);
	static const uint8_t bid[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
	tb_process(t, 4242, 1, 1700000000000000000ull, 0, "/usr/local/bin/server", 2, argv2);
	tb_module(t, 1, 0x555555554000ull, 0x555555555000ull, 0x555555559000ull,
	          "/usr/local/bin/server", bid, sizeof(bid));
	const uint64_t s1[] = {0x555555555123ull, 0x555555555456ull};
	const uint64_t s2[] = {0x555555555789ull, 0x555555555456ull};
	const uint64_t s3[] = {0x555555555abcull};
	tb_stack(t, 1, 2, s1);
	tb_stack(t, 2, 2, s2);
	tb_stack(t, 3, 1, s3);
	tb_fd_open(t, 3, 1, TRACE_FD_FILE, 0, 3, "/etc/server.conf", "", "fopen");
	tb_child(t, 5000, 3, 100, TRACE_CHILD_RUNNING, "fork", "");
	tb_thread(t, 4243, 3, 100, TRACE_THREAD_RUNNING);
	tb_snapshot(t, 0, 100000000, 1000, 10, 0, 0);
	tb_site(t, 1, 1000, 10);
	tb_flush(t);
	for (unsigned i = 1; i < 4; i++) {
		tb_snapshot(t, i, 100000000ull * (i + 1), 1000 + 500 * i, 10 + 5 * i, 0, 0);
		tb_site(t, 1, 1000 + 500 * i, 10 + 5 * i);
		tb_flush(t);
	}
	tb_child(t, 5000, 3, 100, TRACE_CHILD_ZOMBIE, "fork", "");
	tb_thread(t, 4243, 3, 100, TRACE_THREAD_FINISHED);
	tb_tempfile(t, 3, 200, "/tmp/server.k2Jd9x", TRACE_TEMP_EXISTS_AT_EXIT, "mkstemp");
	tb_snapshot(t, 4, 500000000, 2600, 26, 0, TRACE_SNAP_FINAL);
	tb_site(t, 1, 2500, 25);
	tb_site(t, 2, 100, 1);
	for (unsigned i = 0; i < 25; i++)
		tb_block(t, 0x10000 + 0x100 * i, 100, 1, TRACE_BLOCK_SCANNED);
	tb_block(t, 0x20000, 100, 2, TRACE_BLOCK_SCANNED | TRACE_BLOCK_REACHABLE);
	tb_end(t, 510000000, TRACE_END_EXIT, 0);
	tb_flush(t);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_traces DIR\n");
		return 2;
	}
	const char *dir = argv[1];
	int rc = write_file(dir, "empty.lkt", "", 0);

	uint8_t rnd[4096];
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < sizeof(rnd); i++) {
		x = x * 1664525u + 1013904223u;
		rnd[i] = (uint8_t)(x >> 24);
	}
	rc |= write_file(dir, "random.lkt", rnd, sizeof(rnd));
	static const uint8_t elf[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
	rc |= write_file(dir, "foreign.lkt", elf, sizeof(elf));

	struct tb t;
	tb_init_version(&t, 99);
	tb_process(&t, 1, 0, 0, 0, "/bin/true", 0, NULL);
	tb_flush(&t);
	rc |= write_file(dir, "v99.lkt", t.file.data, t.file.len);
	tb_free(&t);

	sample(&t);
	rc |= write_file(dir, "sample.lkt", t.file.data, t.file.len);
	/* Cut 20 bytes into the last chunk (its header is complete, its frame is not). */
	size_t off = TRACE_HEADER_SIZE, last = off;
	while (off < t.file.len) {
		const uint8_t *h = t.file.data + off;
		last = off;
		off +=
		    TRACE_CHUNK_HEADER_SIZE + (h[4] | h[5] << 8 | h[6] << 16 | (size_t)h[7] << 24);
	}
	rc |= write_file(dir, "truncated.lkt", t.file.data, last + TRACE_CHUNK_HEADER_SIZE + 20);
	/* Damage the first chunk's frame: flip its last byte (the content checksum). */
	const uint8_t *h = t.file.data + TRACE_HEADER_SIZE;
	size_t clen = h[4] | h[5] << 8 | h[6] << 16 | (size_t)h[7] << 24;
	t.file.data[TRACE_HEADER_SIZE + TRACE_CHUNK_HEADER_SIZE + clen - 1] ^= 0xff;
	rc |= write_file(dir, "corrupt.lkt", t.file.data, t.file.len);
	tb_free(&t);
	return rc;
}
