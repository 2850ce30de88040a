/* SPDX-License-Identifier: MIT */
/* analyze_fd.c - "fd": descriptors still open at the end (FD_OPEN without FD_CLOSE),
 * grouped by creating stack and type. Descriptors inherited at start (no stack: not ours
 * to close) and 0-2 are not findings. inherited_by_exec marks groups where a descriptor was
 * open without close-on-exec when the process called execve, i.e. leaked into the new
 * program. A forked child's copies of its parent's descriptors (TRACE_FD_FORKED) are the
 * parent's leaks, reported in the parent's trace, except one the child carries across an
 * exec: that crossing is the child's doing, reported here with the parent's stack. A
 * descriptor first seen open in the last snapshot of a trace cut short is left out, as a
 * zombie is (analyze_cut_just_now): the program was as likely about to close it (a server
 * killed between accepting a connection and closing it). A shell holds the script it runs
 * open until it exits (bash as fd 255, dash at 10 or above): that descriptor is the
 * interpreter's, not a finding (analyze_fd_own_script). */
#include "analyze.h"

#include <string.h>

#include "hashmap.h"
#include "trace_format.h"

/* Records str as a member of group idx unless seen already (seen: hash of group, which list,
 * text -> 1; a 64-bit hash collision only undercounts "more"). */
static int add_member(struct hashmap *seen, uint32_t idx, int which, const char *str,
                      const char **list, uint32_t *n, uint32_t *more)
{
	if (!str || !*str)
		return 0;
	uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)idx << 1 | (uint64_t)which);
	for (const unsigned char *c = (const unsigned char *)str; *c; c++)
		h = (h ^ *c) * 0x100000001b3ull;
	uint32_t one;
	if (hashmap_get(seen, h, &one))
		return 0;
	if (hashmap_put(seen, h, 1) != 0)
		return -1;
	if (*n < FINDING_MEMBERS)
		list[(*n)++] = str;
	else
		(*more)++;
	return 0;
}

/* Is the process a shell (by its executable's name)? */
static bool fd_proc_is_shell(const struct model_proc *p)
{
	static const char *const shells[] = {"sh",   "dash", "bash",    "zsh",  "ksh", "ksh93",
	                                     "mksh", "ash",  "busybox", "yash", "posh"};
	const char *base =
	    analyze_base_name(p->exe ? p->exe : (p->argc && p->argv ? p->argv[0] : NULL));
	for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
		if (strcmp(base, shells[i]) == 0)
			return true;
	return false;
}

/* Does the absolute path name the file arg names (as given on a command line, relative to
 * the directory the process started in, which the trace does not hold: a relative arg
 * without ".." matches a path ending in it)? */
static bool fd_path_is_arg(const char *path, const char *arg)
{
	if (arg[0] == '/')
		return strcmp(path, arg) == 0;
	while (arg[0] == '.' && arg[1] == '/')
		arg += 2;
	if (!*arg || strstr(arg, ".."))
		return false;
	size_t lp = strlen(path), la = strlen(arg);
	return lp > la && path[lp - la - 1] == '/' && strcmp(path + lp - la, arg) == 0;
}

/* A shell's descriptor of the script it runs: a file, the path of the first operand of its
 * command line (none after -c, which runs a string). */
static bool analyze_fd_own_script(const struct model_proc *p, const struct model_fd *f)
{
	if (f->type != TRACE_FD_FILE || !f->path || !*f->path || !fd_proc_is_shell(p))
		return false;
	for (uint32_t k = 1; k < p->argc && p->argv && p->argv[k]; k++) {
		const char *a = p->argv[k];
		if (a[0] == '-' || a[0] == '+') {
			if (strcmp(a, "--") == 0)
				return k + 1 < p->argc && p->argv[k + 1] &&
				       fd_path_is_arg(f->path, p->argv[k + 1]);
			if (a[0] == '-' && a[1] != '-' && strchr(a, 'c'))
				return false; /* -c STRING: no script */
			continue;
		}
		return fd_path_is_arg(f->path, a);
	}
	return false;
}

int analyze_fd(struct analysis_proc *ap, const struct analyze_opts *o)
{
	(void)o;
	const struct model_proc *p = ap->proc;
	struct hashmap groups = {0}; /* stack_id << 8 | type -> finding index */
	struct hashmap seen = {0};   /* members already listed (add_member) */
	int rc = 0;
	for (uint32_t i = 0; i < p->n_fds && rc == 0; i++) {
		const struct model_fd *f = &p->fds[i];
		if (f->closed || f->fd <= 2 || (f->flags & (TRACE_FD_INHERITED | TRACE_FD_RUNTIME)))
			continue;
		if ((f->flags & TRACE_FD_FORKED) && !f->open_at_exec)
			continue;
		if (analyze_cut_just_now(p, f->open_snap) || analyze_fd_own_script(p, f))
			continue;
		uint64_t key = (uint64_t)f->stack_id << 8 | f->type;
		uint32_t idx;
		if (!hashmap_get(&groups, key, &idx)) {
			struct finding n = {.kind = FINDING_FD,
			                    .stack_id = f->stack_id,
			                    .fd_type = trace_fd_type_name(f->type),
			                    .path = f->path,
			                    .peer = f->peer,
			                    .api = f->api};
			if (!finding_list_add(&ap->findings, &n) ||
			    hashmap_put(&groups, key, (uint32_t)(ap->findings.n - 1)) != 0) {
				rc = -1;
				break;
			}
			idx = (uint32_t)(ap->findings.n - 1);
		}
		struct finding *g = &ap->findings.items[idx];
		g->count++;
		if (f->open_at_exec)
			g->inherited_by_exec = true;
		rc = finding_add_id(g, f->fd);
		if (rc == 0)
			rc = add_member(&seen, idx, 0, f->path, g->paths, &g->n_paths,
			                &g->more_paths);
		if (rc == 0)
			rc = add_member(&seen, idx, 1, f->peer, g->peers, &g->n_peers,
			                &g->more_peers);
	}
	hashmap_fini(&seen);
	hashmap_fini(&groups);
	return rc;
}
