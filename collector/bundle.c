/* SPDX-License-Identifier: MIT */
/* bundle.c - see bundle.h. Files are copied, never linked: the bundle is meant to be packed
 * and moved. An existing destination is kept (the same build-id is the same file). */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Copies src to dst (created 0644, or kept when it exists); adds the bytes to *bytes. */
static int copy_file(const char *src, const char *dst, uint64_t *bytes, struct err *e)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_set(e, "%s: %s", src, strerror(errno));
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0) {
		int err = errno;
		close(in);
		return err == EEXIST ? 0 : err_set(e, "%s: %s", dst, strerror(err));
	}
	char buf[65536];
	int rc = 0;
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(e, "%s: %s", src, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = err_set(e, "%s: %s", dst, strerror(errno));
				break;
			}
			off += w;
		}
		if (rc)
			break;
		*bytes += (uint64_t)n;
	}
	close(in);
	if (close(out) != 0 && rc == 0)
		rc = err_set(e, "%s: %s", dst, strerror(errno));
	if (rc)
		unlink(dst);
	return rc;
}

static int make_dir(const char *path, struct err *e)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return err_set(e, "%s: %s", path, strerror(errno));
	return 0;
}

static int bundle_module(const char *dir, const struct model_module *m, struct symbolizer *s,
                         struct bundle_stats *st, struct err *e)
{
	const char *file = symbolizer_file_of(s, m);
	if (!file) {
		st->missing++;
		return 0;
	}
	char sub[4096], dst[4096];
	snprintf(sub, sizeof(sub), "%s/.build-id/%02x", dir, m->build_id[0]);
	if (make_dir(sub, e) != 0)
		return -1;
	int k = snprintf(dst, sizeof(dst), "%s/", sub);
	for (size_t i = 1; i < m->build_id_len && k > 0 && (size_t)k < sizeof(dst); i++)
		k += snprintf(dst + k, sizeof(dst) - (size_t)k, "%02x", m->build_id[i]);
	size_t fl = strlen(file);
	if (fl > 6 && strcmp(file + fl - 6, ".debug") == 0 && k > 0 && (size_t)k < sizeof(dst))
		snprintf(dst + k, sizeof(dst) - (size_t)k, ".debug");
	if (copy_file(file, dst, &st->bytes, e) != 0)
		return -1;
	st->files++;
	return 0;
}

int bundle_write(const char *dir, const struct model *m, struct symbolizer *s,
                 struct bundle_stats *st, struct err *e)
{
	*st = (struct bundle_stats){0};
	char path[4096];
	if (make_dir(dir, e) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/.build-id", dir);
	if (make_dir(path, e) != 0)
		return -1;
	for (uint32_t i = 0; i < m->n_procs; i++) {
		const struct model_proc *p = m->procs[i];
		const char *b = strrchr(p->trace_path, '/');
		snprintf(path, sizeof(path), "%s/%s", dir, b ? b + 1 : p->trace_path);
		if (copy_file(p->trace_path, path, &st->bytes, e) != 0)
			return -1;
		st->traces++;
		/* The modules some stack passes through, each once. */
		bool *used = calloc(p->n_modules + 1, sizeof(*used));
		if (!used)
			return err_set(e, "out of memory");
		for (uint32_t k = 0; k < p->n_stacks; k++) {
			const struct model_stack *ms = &p->stacks[k];
			for (uint32_t f = 0; f < ms->n_frames; f++) {
				uint32_t mi =
				    ms->frame_module ? ms->frame_module[f] : MODEL_NO_MODULE;
				if (mi != MODEL_NO_MODULE && mi < p->n_modules)
					used[mi] = true;
			}
		}
		int rc = 0;
		for (uint32_t k = 0; k < p->n_modules && rc == 0; k++) {
			const struct model_module *mod = &p->modules[k];
			if (used[k] && mod->build_id_len && mod->path && mod->path[0] == '/')
				rc = bundle_module(dir, mod, s, st, e);
		}
		free(used);
		if (rc)
			return -1;
	}
	return 0;
}
