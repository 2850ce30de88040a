/* SPDX-License-Identifier: MIT */
/* debuginfod.c - see debuginfod.h. */
#include "debuginfod.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

typedef void *(*begin_fn)(void);
typedef void (*end_fn)(void *);
typedef int (*find_fn)(void *, const unsigned char *, int, char **);

struct debuginfod {
	void *lib;
	void *client;
	end_fn end;
	find_fn find_executable, find_debuginfo;
	bool broken; /* a server error: ask no more this run */
};

struct debuginfod *debuginfod_create(void)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (!urls || !*urls)
		return NULL;
	/* libdebuginfod's own default is 90 s per query ("nasty delays"). */
	setenv("DEBUGINFOD_TIMEOUT", "10", 0);
	struct debuginfod *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->lib = dlopen("libdebuginfod.so.1", RTLD_LAZY | RTLD_LOCAL);
	begin_fn begin = NULL;
	if (d->lib) {
		*(void **)&begin = dlsym(d->lib, "debuginfod_begin");
		*(void **)&d->end = dlsym(d->lib, "debuginfod_end");
		*(void **)&d->find_executable = dlsym(d->lib, "debuginfod_find_executable");
		*(void **)&d->find_debuginfo = dlsym(d->lib, "debuginfod_find_debuginfo");
	}
	if (!begin || !d->end || !d->find_executable || !d->find_debuginfo ||
	    !(d->client = begin())) {
		if (d->lib)
			dlclose(d->lib);
		free(d);
		return NULL;
	}
	return d;
}

void debuginfod_destroy(struct debuginfod *d)
{
	if (!d)
		return;
	d->end(d->client);
	dlclose(d->lib);
	free(d);
}

int debuginfod_fetch(struct debuginfod *d, const uint8_t *build_id, size_t len, bool debug_file,
                     char **path)
{
	*path = NULL;
	if (!d || d->broken || !len || len > 64)
		return -1;
	find_fn find = debug_file ? d->find_debuginfo : d->find_executable;
	int fd = find(d->client, build_id, (int)len, path);
	if (fd < 0) {
		if (fd != -ENOENT)
			d->broken = true;
		free(*path);
		*path = NULL;
		return -1;
	}
	close(fd);
	return *path ? 0 : -1;
}
