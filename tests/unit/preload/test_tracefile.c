/* SPDX-License-Identifier: MIT */
/* test_tracefile.c - preload/tracefile.c: creation is 0600 and O_EXCL|O_NOFOLLOW (an
 * existing file or a planted symlink is refused, never written through), a chunk reads back
 * as magic + lengths + a checksummed zstd frame (small ones stored, not compressed), a replaced
 * file is not written into, and a failing write (ENOSPC injected with -Wl,--wrap=lk_sys_write) is
 * sticky and stops profiling. Also LEAK_OUT from pattern to file: expansion of %p/%e/%%, a
 * relative pattern made absolute at start (a later chdir does not move the trace), a directory
 * given the default name, and a forked child's own file from the same pattern. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader: is the checksum flag set? */
#include <zstd.h>
#include <cmocka.h>

#include "config.h"
#include "guard.h"
#include "sys.h"
#include "trace_format.h"
#include "fd_table.h"
#include "tracefile.h"
#include "version.h"

ssize_t __real_lk_sys_write(int fd, const void *buf, size_t n);
ssize_t __wrap_lk_sys_write(int fd, const void *buf, size_t n);

static int fail_writes; /* when set, writes to anything but stderr fail with ENOSPC */

ssize_t __wrap_lk_sys_write(int fd, const void *buf, size_t n)
{
	if (fail_writes && fd != 2)
		return -ENOSPC;
	return __real_lk_sys_write(fd, buf, n);
}

static char dir[256];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/lk-test-tracefile-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	lk_tracefile_forget();
	lk_disabled = 0;
	fail_writes = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_in(char *out, const char *name)
{
	snprintf(out, 512, "%s/%s", dir, name);
}

static void test_create_mode_and_header(void **state)
{
	(void)state;
	char p[512];
	path_in(p, "a.lkt");
	assert_int_equal(lk_tracefile_create(p), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, TRACE_HEADER_SIZE);
	unsigned char h[TRACE_HEADER_SIZE];
	FILE *f = fopen(p, "rb");
	assert_int_equal(fread(h, 1, sizeof(h), f), sizeof(h));
	fclose(f);
	assert_memory_equal(h, TRACE_MAGIC, TRACE_MAGIC_LEN);
	assert_int_equal(h[8] | h[9] << 8, TRACE_VERSION);
	assert_int_equal(h[10] | h[11] << 8, TRACE_HEADER_SIZE);
	assert_int_equal(lk_disabled, 0);
}

static void test_existing_file_refused(void **state)
{
	(void)state;
	char p[512];
	path_in(p, "exists.lkt");
	FILE *f = fopen(p, "w");
	fputs("precious", f);
	fclose(f);
	assert_int_equal(lk_tracefile_create(p), -EEXIST);
	assert_int_equal(lk_tracefile_error(), -EEXIST);
	assert_int_equal(lk_disabled, 1);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 8); /* untouched */
}

static void test_planted_symlink_refused(void **state)
{
	(void)state;
	char p[512], target[512];
	path_in(p, "link.lkt");
	path_in(target, "target");
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(lk_tracefile_create(p), -EEXIST);
	assert_int_equal(access(target, F_OK), -1); /* nothing created through the link */
	assert_int_equal(lk_disabled, 1);
}

static void test_unique_name_after_exec(void **state)
{
	(void)state;
	char p[512], p2[512];
	path_in(p, "leak.app.12.lkt");
	path_in(p2, "leak.app.12.2.lkt");
	assert_int_equal(lk_tracefile_create(p), 0);
	lk_tracefile_forget();
	assert_int_equal(lk_tracefile_create_unique(p), 0);
	assert_string_equal(lk_tracefile_path(), p2);
	assert_int_equal(access(p2, F_OK), 0);
	assert_int_equal(lk_disabled, 0);
}

static unsigned char *read_file(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *d = malloc(*n + 1);
	assert_int_equal(fread(d, 1, *n, f), *n);
	fclose(f);
	return d;
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_chunks_read_back(void **state)
{
	(void)state;
	char p[512];
	path_in(p, "chunks.lkt");
	assert_int_equal(lk_tracefile_create(p), 0);
	char raw1[5000], raw2[] = "second chunk";
	for (size_t i = 0; i < sizeof(raw1); i++)
		raw1[i] = (char)(i % 13);
	assert_int_equal(lk_tracefile_write_chunk(raw1, sizeof(raw1)), 0);
	assert_int_equal(lk_tracefile_write_chunk(raw2, sizeof(raw2)), 0);
	size_t n;
	unsigned char *d = read_file(p, &n);
	size_t off = TRACE_HEADER_SIZE;
	const void *raws[2] = {raw1, raw2};
	size_t lens[2] = {sizeof(raw1), sizeof(raw2)};
	for (int k = 0; k < 2; k++) {
		assert_memory_equal(d + off, TRACE_CHUNK_MAGIC, 4);
		uint32_t c = le32(d + off + 4), r = le32(d + off + 8);
		assert_int_equal(r, lens[k]);
		assert_true(off + TRACE_CHUNK_HEADER_SIZE + c <= n);
		const unsigned char *frame = d + off + TRACE_CHUNK_HEADER_SIZE;
		ZSTD_frameHeader fh;
		assert_int_equal(ZSTD_getFrameHeader(&fh, frame, c), 0);
		assert_int_equal(fh.checksumFlag, 1);
		char out[6000];
		assert_int_equal(ZSTD_decompress(out, sizeof(out), frame, c), r);
		assert_memory_equal(out, raws[k], r);
		off += TRACE_CHUNK_HEADER_SIZE + c;
	}
	assert_int_equal(off, n);
	free(d);
}

/* Chunks up to 2 KiB are stored as one raw zstd block (no compressor), larger ones
 * compressed; every size on both sides of the frame header's and XXH64's boundaries reads
 * back through zstd, which checks the content checksum: one changed byte is refused. */
static void test_small_chunks_stored(void **state)
{
	(void)state;
	static const size_t sizes[] = {0,   1,   3,   4,   7,   8,    31,   32,   33,   63,  64,
	                               100, 255, 256, 257, 999, 1000, 2047, 2048, 2049, 4000};
	enum { N = sizeof(sizes) / sizeof(sizes[0]) };
	char p[512];
	path_in(p, "small.lkt");
	assert_int_equal(lk_tracefile_create(p), 0);
	static unsigned char raw[N][4000];
	uint32_t x = 99;
	for (int k = 0; k < N; k++) {
		for (size_t i = 0; i < sizes[k]; i++) {
			x = x * 1103515245u + 12345u;
			raw[k][i] = (unsigned char)(x >> 16);
		}
		assert_int_equal(lk_tracefile_write_chunk(raw[k], sizes[k]), 0);
	}
	size_t n;
	unsigned char *d = read_file(p, &n);
	size_t off = TRACE_HEADER_SIZE;
	for (int k = 0; k < N; k++) {
		assert_memory_equal(d + off, TRACE_CHUNK_MAGIC, 4);
		uint32_t c = le32(d + off + 4), r = le32(d + off + 8);
		assert_int_equal(r, sizes[k]);
		assert_true(off + TRACE_CHUNK_HEADER_SIZE + c <= n);
		unsigned char *frame = d + off + TRACE_CHUNK_HEADER_SIZE;
		if (r <= 2048) /* stored: the bytes plus 13 or 14 of framing */
			assert_int_equal(c, r + (r < 256 ? 13 : 14));
		ZSTD_frameHeader fh;
		assert_int_equal(ZSTD_getFrameHeader(&fh, frame, c), 0);
		assert_int_equal(fh.checksumFlag, 1);
		assert_int_equal(fh.frameContentSize, r);
		static unsigned char out[4096];
		assert_int_equal(ZSTD_decompress(out, sizeof(out), frame, c), r);
		assert_memory_equal(out, raw[k], r);
		frame[c - 1 - (r > 0 ? 4 : 0)] ^= 0x20; /* a content byte (or the checksum) */
		assert_true(ZSTD_isError(ZSTD_decompress(out, sizeof(out), frame, c)));
		off += TRACE_CHUNK_HEADER_SIZE + c;
	}
	assert_int_equal(off, n);
	free(d);
}

/* The kept descriptor still writes into the file created at start: another file renamed over
 * the path is never written. */
static void test_replaced_file_not_written(void **state)
{
	(void)state;
	char p[512], other[512];
	path_in(p, "replaced.lkt");
	path_in(other, "other");
	assert_int_equal(lk_tracefile_create(p), 0);
	FILE *f = fopen(other, "w");
	fclose(f);
	assert_int_equal(rename(other, p), 0); /* same path, another inode */
	assert_int_equal(lk_tracefile_write_chunk("x", 1), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 0);
}

/* A daemon closing every descriptor with a raw syscall: the path is reopened and appended to. */
static void test_closed_fd_is_reopened(void **state)
{
	(void)state;
	char p[512];
	path_in(p, "reopened.lkt");
	assert_int_equal(lk_tracefile_create(p), 0);
	int fd = lk_fd_next_internal(0);
	assert_true(fd >= 3);
	assert_int_equal(syscall(SYS_close, fd), 0);
	assert_int_equal(lk_tracefile_write_chunk("x", 1), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_true(st.st_size > 16);
	assert_int_equal(lk_disabled, 0);
}

/* Closed behind our back AND the path replaced: nothing is written, profiling stops. */
static void test_closed_and_replaced_refused(void **state)
{
	(void)state;
	char p[512], other[512];
	path_in(p, "stale.lkt");
	path_in(other, "other2");
	assert_int_equal(lk_tracefile_create(p), 0);
	assert_int_equal(syscall(SYS_close, lk_fd_next_internal(0)), 0);
	FILE *f = fopen(other, "w");
	fclose(f);
	assert_int_equal(rename(other, p), 0);
	assert_int_equal(lk_tracefile_write_chunk("x", 1), -ESTALE);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(lk_disabled, 1);
}

static void test_enospc_is_sticky(void **state)
{
	(void)state;
	char p[512];
	path_in(p, "full.lkt");
	assert_int_equal(lk_tracefile_create(p), 0);
	assert_int_equal(lk_tracefile_write_chunk("first", 5), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	off_t size = st.st_size;
	fail_writes = 1;
	assert_int_equal(lk_tracefile_write_chunk("second", 6), -ENOSPC);
	assert_int_equal(lk_tracefile_error(), -ENOSPC);
	assert_int_equal(lk_disabled, 1);
	fail_writes = 0; /* the disk has room again: still off, nothing more is written */
	assert_int_equal(lk_tracefile_write_chunk("third", 5), -ENOSPC);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, size);
}

static void test_enospc_at_creation(void **state)
{
	(void)state;
	char p[512];
	path_in(p, "full-at-start.lkt");
	fail_writes = 1;
	assert_int_equal(lk_tracefile_create(p), -ENOSPC);
	fail_writes = 0;
	assert_int_equal(lk_tracefile_error(), -ENOSPC);
	assert_int_equal(lk_disabled, 1);
}

static void test_out_pattern_expansion(void **state)
{
	(void)state;
	char out[4096];
	assert_int_equal(
	    lk_tracefile_expand("/t/leak.%e.%p.lkt", "/usr/bin/app", 42, out, sizeof(out)), 0);
	assert_string_equal(out, "/t/leak.app.42.lkt");
	assert_int_equal(lk_tracefile_expand("/t/100%%-%x-%", "app", 7, out, sizeof(out)), 0);
	assert_string_equal(out, "/t/100%-%x-%"); /* only %p %e %% expand */
	char cwd[4096], want[4200];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(lk_tracefile_expand("./x.%p", "app", 3, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/x.3", cwd);
	assert_string_equal(out, want);
	assert_int_equal(lk_tracefile_expand("/t/%e%e%e", "abcdefgh", 1, out, 20), -ENAMETOOLONG);
}

static void test_expand_sizes(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(lk_tracefile_expand("/t/%e", NULL, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "/t/unknown");
	assert_int_equal(lk_tracefile_expand("/t/%e", "", 1, out, sizeof(out)), 0);
	assert_string_equal(out, "/t/");
	assert_int_equal(lk_tracefile_expand("/t/%p", "a", 0, out, 0), -ENAMETOOLONG);
	assert_int_equal(lk_tracefile_expand("/t/%p", "a", 123, out, 7), 0); /* "/t/123" fits */
	assert_int_equal(lk_tracefile_expand("/t/%p", "a", 1234, out, 7), -ENAMETOOLONG);
}

static char saved_cwd[4096];

static int setup_cwd(void **state)
{
	assert_non_null(getcwd(saved_cwd, sizeof(saved_cwd)));
	return setup(state);
}

static int teardown_cwd(void **state)
{
	assert_int_equal(chdir(saved_cwd), 0);
	return teardown(state);
}

/* Relative: absolute against the cwd at start ("./" dropped, '%' in the cwd escaped, %p %e
 * kept for a forked child). */
static void test_pattern_relative(void **state)
{
	(void)state;
	char sub[512], want[1024];
	path_in(sub, "50%dir");
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(chdir(sub), 0);
	assert_int_equal(lk_tracefile_set_pattern("./t.%p.lkt"), 0);
	snprintf(want, sizeof(want), "%s/50%%%%dir/t.%%p.lkt", dir);
	assert_string_equal(lk_tracefile_pattern(), want);
	assert_int_equal(lk_tracefile_set_pattern("sub/t.lkt"), 0);
	snprintf(want, sizeof(want), "%s/50%%%%dir/sub/t.lkt", dir);
	assert_string_equal(lk_tracefile_pattern(), want);
	assert_int_equal(lk_tracefile_set_pattern("/abs/%e.lkt"), 0);
	assert_string_equal(lk_tracefile_pattern(), "/abs/%e.lkt");
}

/* A directory (existing, or ending in '/') gets the default name inside it. */
static void test_pattern_directory(void **state)
{
	(void)state;
	char want[1024];
	assert_int_equal(lk_tracefile_set_pattern(dir), 0);
	snprintf(want, sizeof(want), "%s/leak.%%e.%%p.lkt", dir);
	assert_string_equal(lk_tracefile_pattern(), want);
	assert_int_equal(lk_tracefile_set_pattern("/nonexistent/d/"), 0);
	assert_string_equal(lk_tracefile_pattern(), "/nonexistent/d/leak.%e.%p.lkt");
	assert_int_equal(lk_tracefile_set_pattern("/nonexistent/f"), 0); /* not a directory */
	assert_string_equal(lk_tracefile_pattern(), "/nonexistent/f");
	static char big[5000];
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	assert_int_equal(lk_tracefile_set_pattern(big), -ENAMETOOLONG);
	assert_string_equal(lk_tracefile_pattern(), "");
}

/* From LEAK_OUT to the open file: the main process's trace after a chdir still lands where
 * the pattern pointed at start, with the startup line when LEAK_VERSION=1; then a forked
 * child's own file from the same pattern, created by its first chunk (here: the same pid, so
 * a unique suffix). */
static void test_init_and_child(void **state)
{
	(void)state;
	char want[1024], want2[1024];
	assert_int_equal(chdir(dir), 0);
	snprintf(lk_config.out_pattern, sizeof(lk_config.out_pattern), "./t.%%p.lkt");
	lk_config.version = true;
	assert_int_equal(lk_tracefile_init(0), 0);
	lk_config.version = false;
	assert_int_equal(chdir("/"), 0);
	snprintf(want, sizeof(want), "%s/t.%d.lkt", dir, (int)getpid());
	assert_string_equal(lk_tracefile_path(), want);
	assert_int_equal(access(want, F_OK), 0);
	assert_int_equal(lk_tracefile_fork_child(), 0);
	/* Named, not created: a child that writes no chunk leaves no file. */
	assert_int_equal(lk_tracefile_unwritten(), 1);
	assert_int_equal(lk_tracefile_discard(), 0); /* nothing to remove */
	snprintf(want2, sizeof(want2), "%s/t.%d.2.lkt", dir, (int)getpid());
	assert_int_equal(access(want2, F_OK), -1);
	assert_int_equal(lk_tracefile_write_chunk("x", 1), 0);
	assert_int_equal(lk_tracefile_unwritten(), 0);
	assert_string_equal(lk_tracefile_path(), want2);
	struct stat st;
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(st.st_size, TRACE_HEADER_SIZE); /* the parent's file is not written */
	assert_int_equal(stat(want2, &st), 0);
	assert_true(st.st_size > TRACE_HEADER_SIZE);
	assert_int_equal(lk_disabled, 0);
}

/* A pattern that cannot be made a path (too long once made absolute): one line, profiling
 * off, nothing created. */
static void test_init_unnamed(void **state)
{
	(void)state;
	assert_int_equal(chdir(dir), 0);
	memset(lk_config.out_pattern, 'a', sizeof(lk_config.out_pattern) - 1);
	lk_config.out_pattern[sizeof(lk_config.out_pattern) - 1] = 0;
	assert_true(lk_tracefile_init(0) < 0);
	assert_int_equal(lk_disabled, 1);
	assert_string_equal(lk_tracefile_path(), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_mode_and_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_existing_file_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_planted_symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unique_name_after_exec, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chunks_read_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_small_chunks_stored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replaced_file_not_written, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_closed_fd_is_reopened, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_closed_and_replaced_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enospc_is_sticky, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enospc_at_creation, setup, teardown),
	    cmocka_unit_test(test_out_pattern_expansion),
	    cmocka_unit_test(test_expand_sizes),
	    cmocka_unit_test_setup_teardown(test_pattern_relative, setup_cwd, teardown_cwd),
	    cmocka_unit_test_setup_teardown(test_pattern_directory, setup_cwd, teardown_cwd),
	    cmocka_unit_test_setup_teardown(test_init_and_child, setup_cwd, teardown_cwd),
	    cmocka_unit_test_setup_teardown(test_init_unnamed, setup_cwd, teardown_cwd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
