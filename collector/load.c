/* SPDX-License-Identifier: MIT */
/* load.c - load_paths() (see load.h): a directory goes to trace_reader_load_dir, anything
 * else to trace_reader_load; then the ends that only a parent's trace saw (recover.c). */
#include "load.h"

#include <sys/stat.h>

#include "recover.h"
#include "trace_reader.h"

int load_paths(struct model *m, const char *const *paths, int n,
               void (*skipped)(const char *path, const char *why, void *arg), void *arg,
               const char **failed, struct err *e)
{
	for (int i = 0; i < n; i++) {
		struct stat st;
		int rc = stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)
		             ? trace_reader_load_dir(m, paths[i], skipped, arg, e)
		             : trace_reader_load(m, paths[i], e);
		if (rc != 0) {
			*failed = paths[i];
			return -1;
		}
	}
	recover_exits(m);
	return 0;
}
