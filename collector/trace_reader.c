/* SPDX-License-Identifier: MIT */
/* trace_reader.c - header check, chunk-by-chunk zstd decode and record framing; the fields
 * are decoded by common/trace_codec.h, every limit of docs/FORMAT.md enforced. Each chunk is
 * decoded twice: first to validate all its records, then to apply them, so a corrupt chunk
 * leaves the model exactly as it was after the previous chunk (the "read up to the last good
 * chunk" rule).
 * Input comes through pread() on a file, or from memory for tests and the fuzzer; the file
 * size is re-read on every update so a growing trace can be followed. */
#include "trace_reader.h"

#include <dirent.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "trace_codec.h"
#include "trace_format.h"
#include "trace_record.h"
#include "varint.h"

struct trace_reader {
	int fd; /* -1 for memory input */
	const uint8_t *mem;
	size_t mem_len;
	uint64_t off; /* next chunk header */
	uint32_t n_chunks;
	uint8_t *cbuf, *rbuf;
	size_t ccap, rcap;
	ZSTD_DCtx *dctx;
	struct trace_record rec;
};

static int src_size(struct trace_reader *r, uint64_t *size, struct err *e)
{
	if (r->fd < 0) {
		*size = r->mem_len;
		return 0;
	}
	struct stat st;
	if (fstat(r->fd, &st) != 0)
		return err_set(e, "%s", strerror(errno));
	*size = (uint64_t)st.st_size;
	return 0;
}

/* Reads exactly n bytes at off (the caller has checked they exist). */
static int src_read(struct trace_reader *r, uint64_t off, void *buf, size_t n, struct err *e)
{
	if (r->fd < 0) {
		memcpy(buf, r->mem + off, n);
		return 0;
	}
	size_t done = 0;
	while (done < n) {
		ssize_t k = pread(r->fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return err_set(e, "read failed: %s", strerror(errno));
		if (k == 0)
			return err_set(e, "file shrank while being read");
		done += (size_t)k;
	}
	return 0;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int check_header(struct trace_reader *r, struct err *e)
{
	uint64_t size = 0;
	if (src_size(r, &size, e) != 0)
		return -1;
	if (size == 0)
		return err_set(e, "empty file");
	uint8_t h[TRACE_HEADER_SIZE];
	size_t n = size < sizeof(h) ? (size_t)size : sizeof(h);
	if (src_read(r, 0, h, n, e) != 0)
		return -1;
	if (n < TRACE_MAGIC_LEN || memcmp(h, TRACE_MAGIC, TRACE_MAGIC_LEN) != 0)
		return err_set(e, "not a libleak trace");
	if (n < TRACE_HEADER_SIZE)
		return err_set(e, "truncated header (%zu bytes)", n);
	unsigned version = le16(h + 8), hsize = le16(h + 10);
	if (version != TRACE_VERSION)
		return err_set(e, "unsupported format version %u (this build reads %u)", version,
		               (unsigned)TRACE_VERSION);
	if (hsize < TRACE_HEADER_SIZE)
		return err_set(e, "corrupt header (header size %u)", hsize);
	r->off = hsize;
	return 0;
}

static int reader_new(struct trace_reader **out, struct err *e)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return err_set(e, "out of memory");
	r->fd = -1;
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx) {
		free(r);
		return err_set(e, "out of memory");
	}
	*out = r;
	return 0;
}

int trace_reader_open(struct trace_reader **out, const char *path, struct err *e)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, "%s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		int dir = S_ISDIR(st.st_mode);
		close(fd);
		return err_set(e, "%s", dir ? "is a directory" : "not a regular file");
	}
	struct trace_reader *r;
	if (reader_new(&r, e) != 0) {
		close(fd);
		return -1;
	}
	r->fd = fd;
	if (check_header(r, e) != 0) {
		trace_reader_close(r);
		return -1;
	}
	*out = r;
	return 0;
}

int trace_reader_open_mem(struct trace_reader **out, const void *buf, size_t len, struct err *e)
{
	*out = NULL;
	struct trace_reader *r;
	if (reader_new(&r, e) != 0)
		return -1;
	r->mem = buf;
	r->mem_len = len;
	if (check_header(r, e) != 0) {
		trace_reader_close(r);
		return -1;
	}
	*out = r;
	return 0;
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	free(r->cbuf);
	free(r->rbuf);
	ZSTD_freeDCtx(r->dctx);
	free(r);
}

/* Walks the records of one raw chunk: validates only (p == NULL) or applies to p. */
static int walk_records(struct trace_reader *r, const uint8_t *raw, size_t len,
                        struct model_proc *p, char *why, size_t why_len, struct err *e)
{
	trace_cur_t c = {raw, raw + len, 0};
	while (c.p < c.end) {
		size_t at = (size_t)(c.p - raw);
		unsigned tag = *c.p++;
		uint64_t plen = trace_get_u(&c);
		if (c.err || plen > (uint64_t)(c.end - c.p)) {
			snprintf(why, why_len, "record at byte %zu: length past the chunk end", at);
			return -1;
		}
		trace_cur_t pc = {c.p, c.p + plen, 0};
		c.p += plen;
		const char *reason = NULL;
		int rc = trace_decode(tag, &pc, &r->rec, &reason);
		if (rc == 1)
			continue; /* unknown tag: skip (FORMAT.md versioning rules) */
		if (rc != 0) {
			snprintf(why, why_len, "bad %s record at byte %zu: %s", trace_tag_name(tag),
			         at, reason);
			return -1;
		}
		if (p && model_proc_apply(p, &r->rec, e) != 0)
			return -2;
	}
	return 0;
}

static int ensure(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	uint8_t *n = realloc(*buf, need);
	if (!n)
		return -1;
	*buf = n;
	*cap = need;
	return 0;
}

/* Decodes the chunk at r->off. Returns 1 applied, 0 incomplete tail (or clean end, with
 * *pending = 0), -1 corrupt (why filled), -2 hard error (e filled). */
static int read_chunk(struct trace_reader *r, struct model_proc *p, uint64_t size,
                      uint64_t *pending, char *why, size_t why_len, struct err *e)
{
	*pending = size > r->off ? size - r->off : 0;
	if (*pending < TRACE_CHUNK_HEADER_SIZE)
		return 0;
	uint8_t h[TRACE_CHUNK_HEADER_SIZE];
	if (src_read(r, r->off, h, sizeof(h), e) != 0)
		return -2;
	uint32_t clen = le32(h + 4), rlen = le32(h + 8);
	if (memcmp(h, TRACE_CHUNK_MAGIC, 4) != 0) {
		snprintf(why, why_len, "bad chunk magic");
		return -1;
	}
	if (clen < 1 || clen > TRACE_CHUNK_MAX_COMPRESSED || rlen > TRACE_CHUNK_MAX_RAW) {
		snprintf(why, why_len, "chunk lengths out of range (%" PRIu32 ", %" PRIu32 ")",
		         clen, rlen);
		return -1;
	}
	if (*pending - TRACE_CHUNK_HEADER_SIZE < clen)
		return 0;
	if (ensure(&r->cbuf, &r->ccap, clen) != 0 || ensure(&r->rbuf, &r->rcap, rlen + 1) != 0)
		return err_set(e, "out of memory"), -2;
	if (src_read(r, r->off + TRACE_CHUNK_HEADER_SIZE, r->cbuf, clen, e) != 0)
		return -2;
	unsigned long long fsize = ZSTD_getFrameContentSize(r->cbuf, clen);
	size_t csize = ZSTD_findFrameCompressedSize(r->cbuf, clen);
	if (fsize != rlen || ZSTD_isError(csize) || csize != clen) {
		snprintf(why, why_len, "chunk is not one zstd frame of %" PRIu32 " bytes", rlen);
		return -1;
	}
	size_t got = ZSTD_decompressDCtx(r->dctx, r->rbuf, rlen, r->cbuf, clen);
	if (ZSTD_isError(got) || got != rlen) {
		snprintf(why, why_len, "zstd: %s",
		         ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short frame");
		return -1;
	}
	int rc = walk_records(r, r->rbuf, rlen, NULL, why, why_len, e);
	if (rc == 0 && p)
		rc = walk_records(r, r->rbuf, rlen, p, why, why_len, e);
	if (rc != 0)
		return rc;
	r->off += TRACE_CHUNK_HEADER_SIZE + (uint64_t)clen;
	r->n_chunks++;
	if (p)
		p->n_chunks = r->n_chunks;
	*pending = 0;
	return 1;
}

/* After a corrupt chunk at r->off: the next offset (past it) where a chunk magic starts and a
 * whole chunk validates, with r->off moved there and 1 returned; 0 if none before the end
 * (r->off unchanged). Each candidate is checked by decoding it without applying (p NULL). */
static int resync(struct trace_reader *r, uint64_t size, struct err *e)
{
	uint8_t win[65536];
	uint64_t from = r->off + 1;
	while (from + TRACE_CHUNK_HEADER_SIZE <= size) {
		size_t n = size - from < sizeof(win) ? (size_t)(size - from) : sizeof(win);
		if (src_read(r, from, win, n, e) != 0)
			return -1;
		for (size_t i = 0; i + 4 <= n; i++) {
			if (memcmp(win + i, TRACE_CHUNK_MAGIC, 4) != 0)
				continue;
			uint64_t saved = r->off, pending;
			char why[200];
			r->off = from + i;
			uint32_t chunks = r->n_chunks;
			int rc = read_chunk(r, NULL, size, &pending, why, sizeof(why), e);
			r->n_chunks = chunks;
			if (rc == -2)
				return -1;
			uint64_t cand = from + i;
			r->off = saved;
			if (rc == 1 || (rc == 0 && pending > 0)) {
				/* A chunk that validates, or one still being written at the end. */
				r->off = cand;
				return 1;
			}
		}
		if (n < 4)
			break;
		from += n - 3; /* a magic may straddle two windows */
	}
	return 0;
}

int trace_reader_update(struct trace_reader *r, struct model_proc *p, bool *at_tail, struct err *e)
{
	uint64_t size = 0;
	if (at_tail)
		*at_tail = false;
	if (p->truncated)
		return 0; /* stopped at a corrupt chunk: nothing after it is trusted */
	if (src_size(r, &size, e) != 0)
		return -1;
	int applied = 0;
	for (;;) {
		char why[200];
		uint64_t pending;
		uint64_t at = r->off;
		int rc = read_chunk(r, p, size, &pending, why, sizeof(why), e);
		if (rc == 1) {
			applied++;
			continue;
		}
		if (rc == 0) {
			if (at_tail)
				*at_tail = pending > 0;
			return applied;
		}
		if (rc == -2)
			return -1;
		/* Damage loses only itself: on to the next chunk that validates. */
		int found = resync(r, size, e);
		if (found < 0)
			return -1;
		if (found) {
			p->skipped_bytes += r->off - at;
			p->damaged_chunks++;
			if (!p->damage[0])
				snprintf(p->damage, sizeof(p->damage),
				         "corrupt chunk at offset %" PRIu64 " (%s)", at, why);
			continue;
		}
		if (r->n_chunks == 0)
			return err_set(e, "corrupt chunk at offset %" PRIu64 ": %s", at, why);
		p->truncated = true;
		snprintf(p->truncation, sizeof(p->truncation),
		         "corrupt chunk at offset %" PRIu64 " (%s); read the %" PRIu32
		         " chunks before it",
		         at, why, r->n_chunks);
		return applied;
	}
}

/* The <pid> of a ".../leak.<exe>.<pid>.lkt" name, else 0. */
static uint32_t pid_from_name(const char *name)
{
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	size_t n = strlen(b);
	if (strncmp(b, "leak.", 5) != 0 || n < 10 || strcmp(b + n - 4, ".lkt") != 0)
		return 0;
	const char *end = b + n - 4, *d = end;
	while (d > b && d[-1] >= '0' && d[-1] <= '9')
		d--;
	if (d == end || d[-1] != '.' || end - d > 9)
		return 0;
	uint32_t pid = 0;
	for (; d < end; d++)
		pid = pid * 10 + (uint32_t)(*d - '0');
	return pid;
}

static int load(struct model *m, const char *name, struct trace_reader *r, struct err *e)
{
	struct model_proc *p = model_add_proc(m, name);
	if (!p) {
		trace_reader_close(r);
		return err_set(e, "out of memory");
	}
	bool tail = false;
	int rc = trace_reader_update(r, p, &tail, e);
	if (rc >= 0 && tail) {
		p->truncated = true;
		snprintf(p->truncation, sizeof(p->truncation),
		         "incomplete chunk at offset %" PRIu64 "; read the %" PRIu32
		         " complete chunks before it",
		         r->off, r->n_chunks);
	}
	if (rc >= 0 && !p->have_process && r->n_chunks && !p->damaged_chunks)
		rc = err_set(e, "no PROCESS record");
	if (rc >= 0 && !p->have_process && p->damaged_chunks)
		p->pid = pid_from_name(name); /* the PROCESS record was in the damage */
	if (rc >= 0 && !r->n_chunks) {
		/* Only a header (and perhaps part of a chunk): the process exited, exec'd or was
		 * killed before its first snapshot, which vfork children and short-lived
		 * programs do. Not an error: an empty, truncated process (pid from the file
		 * name when it follows leak.<exe>.<pid>.lkt). */
		p->truncated = true;
		p->pid = pid_from_name(name);
		snprintf(p->truncation, sizeof(p->truncation),
		         "no complete chunk: the process ended before its first snapshot");
	}
	trace_reader_close(r);
	if (rc < 0) {
		model_drop_last_proc(m);
		return -1;
	}
	return 0;
}

int trace_reader_load(struct model *m, const char *path, struct err *e)
{
	struct trace_reader *r;
	if (trace_reader_open(&r, path, e) != 0)
		return -1;
	return load(m, path, r, e);
}

int trace_reader_load_mem(struct model *m, const char *name, const void *buf, size_t len,
                          struct err *e)
{
	struct trace_reader *r;
	if (trace_reader_open_mem(&r, buf, len, e) != 0)
		return -1;
	return load(m, name, r, e);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int trace_reader_load_dir(struct model *m, const char *dir,
                          void (*skipped)(const char *path, const char *why, void *arg), void *arg,
                          struct err *e)
{
	DIR *d = opendir(dir);
	if (!d)
		return err_set(e, "%s", strerror(errno));
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len <= 4 || strcmp(de->d_name + len - 4, ".lkt") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*names));
			if (!nn) {
				rc = err_set(e, "out of memory");
				break;
			}
			names = nn;
		}
		size_t sz = strlen(dir) + len + 2;
		if (!(names[n] = malloc(sz))) {
			rc = err_set(e, "out of memory");
			break;
		}
		snprintf(names[n++], sz, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	uint32_t loaded = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct err le = {{0}};
		if (trace_reader_load(m, names[i], &le) == 0)
			loaded++;
		else if (skipped)
			skipped(names[i], le.msg, arg);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc == 0 && !loaded)
		rc = err_set(e, "no readable *.lkt trace in this directory");
	return rc;
}
