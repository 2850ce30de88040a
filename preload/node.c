/* SPDX-License-Identifier: MIT */
/* node.c - JavaScript names from V8's perf map (see node.h). The writer alone reads the map,
 * with raw system calls, into memory of its own (mmap): the lines read so far, sorted by
 * start, and their names. A line is never taken back: V8 appends one for every code object
 * it creates, so code that moved or was collected and whose range was reused shows up as a
 * second line covering the same address. Every line covering a frame is emitted and the
 * reader names a frame only when exactly one covers it: a name is dropped, never guessed. */
#include "node.h"
#include "config.h"
#include "elf_dynsym.h"
#include "log.h"
#include "modules.h"
#include "python.h"
#include "stack_table.h"
#include "sys.h"

#include <dlfcn.h>
#include <link.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LK_NODE_FLAGS    "--perf-basic-prof-only-functions --interpreted-frames-native-stack"
#define LK_NODE_NAME_MAX 1024u /* longer names are cut */

typedef struct {
	uint64_t start;
	uint32_t size;
	uint32_t name_off; /* in lk_node_names */
	uint16_t name_len;
	uint8_t emitted; /* into the current trace file */
} lk_node_ent_t;

static int lk_node_on;              /* node, and LEAK_NODE: the writer reads the map */
static int lk_node_ours;            /* libleak added the flags: the map is removed at the end */
static int lk_node_restore_pending; /* NODE_OPTIONS still holds the flags libleak added */
static const char *lk_node_orig;    /* the user's NODE_OPTIONS, NULL if unset */
static pid_t lk_node_pid;           /* the map read is /tmp/perf-<lk_node_pid>.map */
static uint64_t lk_node_off;        /* bytes of the map parsed (whole lines) */
static lk_node_ent_t *lk_node_ents;
static size_t lk_node_n, lk_node_cap;
static uint32_t lk_node_maxsize; /* the largest size of any entry */
static char *lk_node_names;
static size_t lk_node_names_len, lk_node_names_cap;

/* [lo, hi) of uv_default_loop, then of the stream initialisers (node exports libuv). */
static const char *const lk_node_rt_names[] = {"uv_default_loop", "uv_tcp_init_ex", "uv_tcp_init",
                                               "uv_pipe_init", "uv_tty_init"};
#define LK_NODE_RT_N (sizeof(lk_node_rt_names) / sizeof(lk_node_rt_names[0]))
static uintptr_t lk_node_rt[LK_NODE_RT_N][2];
static int lk_node_rt_on;

static void lk_node_rt_init(void)
{
	for (size_t i = 0; i < LK_NODE_RT_N; i++) {
		void *f = dlsym(RTLD_DEFAULT, lk_node_rt_names[i]);
		Dl_info info;
		const ElfW(Sym) *sym = NULL;
		if (!f || !dladdr1(f, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym ||
		    !sym->st_size)
			continue;
		lk_node_rt[i][0] = (uintptr_t)f;
		lk_node_rt[i][1] = (uintptr_t)f + sym->st_size;
		lk_node_rt_on = 1;
	}
}

bool lk_node_runtime_fd(uint32_t stack_id, const char *path)
{
	if (!lk_node_rt_on)
		return false;
	bool devnull = path && strcmp(path, "/dev/null") == 0;
	uint32_t n;
	const uintptr_t *f = lk_stack_table_frames(stack_id, &n);
	for (uint32_t i = 0; f && i < n; i++) {
		for (size_t k = 0; k < (devnull ? LK_NODE_RT_N : 1); k++)
			if (f[i] - 1 - lk_node_rt[k][0] < lk_node_rt[k][1] - lk_node_rt[k][0])
				return true;
	}
	return false;
}

void lk_node_init(void)
{
	/* node's own N-API entry point: node itself, or a program embedding it. */
	if (!lk_elf_dynsym_maybe("napi_module_register") ||
	    !dlsym(RTLD_DEFAULT, "napi_module_register"))
		return;
	lk_node_rt_init(); /* the runtime's own descriptors, names or not */
	if (!lk_config.node)
		return;
	lk_node_on = 1;
	const char *cur = getenv("NODE_OPTIONS");
	/* The map (or V8's log) asked for by the user, in NODE_OPTIONS or on the command line:
	 * the user's files, left alone. */
	static char cmd[4096];
	long cn = lk_sys_read_file("/proc/self/cmdline", cmd, sizeof(cmd) - 1);
	for (long i = 0; i < cn; i += (long)strlen(cmd + i) + 1) {
		if (!strncmp(cmd + i, "--perf-basic-prof", 17) || !strncmp(cmd + i, "--prof", 6) ||
		    !strncmp(cmd + i, "--log", 5))
			return;
	}
	if (cur &&
	    (strstr(cur, "--perf-basic-prof") || strstr(cur, "--prof") || strstr(cur, "--log")))
		return;
	static char buf[4096];
	size_t n = cur ? strlen(cur) : 0;
	if (n + sizeof(LK_NODE_FLAGS) + 1 > sizeof(buf)) {
		lk_warn("NODE_OPTIONS too long to add the perf map flags; JavaScript frames stay "
		        "unnamed",
		        NULL, NULL);
		return;
	}
	if (n) {
		memcpy(buf, cur, n);
		buf[n++] = ' ';
	}
	memcpy(buf + n, LK_NODE_FLAGS, sizeof(LK_NODE_FLAGS));
	static char orig[4096];
	if (cur)
		memcpy(orig, cur, strlen(cur) + 1);
	if (setenv("NODE_OPTIONS", buf, 1) == 0) {
		lk_node_ours = 1;
		lk_node_orig = cur ? orig : NULL;
		__atomic_store_n(&lk_node_restore_pending, 1, __ATOMIC_RELEASE);
	}
}

void lk_node_restore_env(void)
{
	if (!__atomic_load_n(&lk_node_restore_pending, __ATOMIC_RELAXED) ||
	    !__atomic_exchange_n(&lk_node_restore_pending, 0, __ATOMIC_ACQ_REL))
		return;
	if (lk_node_orig)
		setenv("NODE_OPTIONS", lk_node_orig, 1);
	else
		unsetenv("NODE_OPTIONS");
}

static void lk_node_path(char *path, pid_t pid);

int lk_node_own_file(int fd, const char *path)
{
	if (!lk_node_ours || !path)
		return 0;
	char map[48], pid[24];
	lk_node_path(map, lk_sys_getpid());
	pid[0] = '-';
	size_t pl = 1 + lk_fmt_u64(pid + 1, (uint64_t)lk_sys_getpid());
	memcpy(pid + pl, "-v8.log", 8);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t bl = strlen(base);
	bool log = !strncmp(base, "isolate-0x", 10) && bl > strlen(pid) &&
	           !strcmp(base + bl - strlen(pid), pid);
	if (!log && strcmp(path, map) != 0)
		return 0;
	syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC); /* the program's children need neither */
	if (log)
		syscall(SYS_unlink, path); /* V8 writes on into the unlinked file */
	return 1;
}

static void lk_node_path(char *path, pid_t pid)
{
	memcpy(path, "/tmp/perf-", 10);
	size_t o = 10 + lk_fmt_u64(path + 10, (uint64_t)pid);
	memcpy(path + o, ".map", 5);
}

/* Grows an mmap'd array to hold want elements of size sz (doubling); false if it cannot. */
static bool lk_node_grow(void **p, size_t *cap, size_t want, size_t sz)
{
	if (want <= *cap)
		return true;
	size_t nc = *cap ? *cap : 4096;
	while (nc < want)
		nc *= 2;
	void *q = lk_sys_mmap(nc * sz);
	if (!q)
		return false;
	if (*p) {
		memcpy(q, *p, *cap * sz);
		lk_sys_munmap(*p, *cap * sz);
	}
	*p = q;
	*cap = nc;
	return true;
}

static int lk_node_hex(const char **s, const char *end, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	int d = 0;
	for (; p < end && d < 17; p++, d++) {
		char c = *p;
		unsigned h = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
		             : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
		             : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
		                                    : 16u;
		if (h == 16)
			break;
		x = x << 4 | h;
	}
	if (!d || d > 16)
		return -1;
	*s = p;
	*v = x;
	return 0;
}

/* One map line "start size name" (no newline); malformed lines are skipped. */
static void lk_node_line(const char *s, const char *end)
{
	uint64_t start, size;
	if (lk_node_hex(&s, end, &start) || s >= end || *s++ != ' ' ||
	    lk_node_hex(&s, end, &size) || s >= end || *s++ != ' ' || !size || size > 0xffffffffu ||
	    start + size < start)
		return;
	size_t len = (size_t)(end - s);
	if (len > LK_NODE_NAME_MAX)
		len = LK_NODE_NAME_MAX;
	if (!lk_node_grow((void **)&lk_node_ents, &lk_node_cap, lk_node_n + 1,
	                  sizeof(*lk_node_ents)) ||
	    !lk_node_grow((void **)&lk_node_names, &lk_node_names_cap, lk_node_names_len + len, 1))
		return;
	memcpy(lk_node_names + lk_node_names_len, s, len);
	lk_node_ents[lk_node_n++] = (lk_node_ent_t){.start = start,
	                                            .size = (uint32_t)size,
	                                            .name_off = (uint32_t)lk_node_names_len,
	                                            .name_len = (uint16_t)len};
	lk_node_names_len += len;
	if (size > lk_node_maxsize)
		lk_node_maxsize = (uint32_t)size;
}

/* Sorts ents[lo, hi) by start: heapsort, no allocation. */
static void lk_node_sift(lk_node_ent_t *a, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1].start > a[c].start)
			c++;
		if (a[i].start >= a[c].start)
			return;
		lk_node_ent_t t = a[i];
		a[i] = a[c];
		a[c] = t;
		i = c;
	}
}

static void lk_node_sort(lk_node_ent_t *a, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		lk_node_sift(a, i, n);
	for (size_t k = n; k-- > 1;) {
		lk_node_ent_t t = a[0];
		a[0] = a[k];
		a[k] = t;
		lk_node_sift(a, 0, k);
	}
}

/* Reads the map's lines added since the last call and merges them into the sorted table. */
static void lk_node_read(void)
{
	char path[48];
	lk_node_path(path, lk_node_pid);
	int fd = lk_sys_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (lseek(fd, (off_t)lk_node_off, SEEK_SET) != (off_t)lk_node_off) {
		lk_sys_close(fd);
		return;
	}
	size_t old = lk_node_n;
	static char buf[65536];
	size_t have = 0;
	for (;;) {
		ssize_t r = lk_sys_read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		size_t line = 0;
		for (size_t i = 0; i < have; i++) {
			if (buf[i] != '\n')
				continue;
			lk_node_line(buf + line, buf + i);
			line = i + 1;
		}
		lk_node_off += line;
		if (line == 0 && have == sizeof(buf)) { /* one line longer than the buffer */
			lk_node_off += have;            /* skipped (cut at the next read) */
			have = 0;
			continue;
		}
		memmove(buf, buf + line, have - line);
		have -= line;
	}
	lk_sys_close(fd);
	size_t k = lk_node_n - old;
	if (!k)
		return;
	/* Merge the sorted new tail into the sorted table, from the back. */
	lk_node_sort(lk_node_ents + old, k);
	lk_node_ent_t *tmp = lk_sys_mmap(k * sizeof(*tmp));
	if (!tmp) {
		lk_node_sort(lk_node_ents, lk_node_n);
		return;
	}
	memcpy(tmp, lk_node_ents + old, k * sizeof(*tmp));
	size_t i = old, j = k, o = lk_node_n;
	while (j > 0) {
		if (i > 0 && lk_node_ents[i - 1].start > tmp[j - 1].start)
			lk_node_ents[--o] = lk_node_ents[--i];
		else
			lk_node_ents[--o] = tmp[--j];
	}
	lk_sys_munmap(tmp, k * sizeof(*tmp));
}

/* Emits every entry covering pc not emitted yet. */
static void lk_node_cover(trace_buf_t *b, uint64_t pc)
{
	/* The first entry with start > pc - 1 (pc is a return address: the call is before). */
	uint64_t at = pc - 1;
	size_t lo = 0, hi = lk_node_n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (lk_node_ents[mid].start <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i-- > 0;) {
		lk_node_ent_t *e = &lk_node_ents[i];
		if (at - e->start >= lk_node_maxsize)
			break;
		if (at - e->start >= e->size || e->emitted)
			continue;
		e->emitted = 1;
		trace_enc_js_code(
		    b, &(struct trace_rec_js_code){
		           .start = e->start,
		           .size = e->size,
		           .name = {(const uint8_t *)lk_node_names + e->name_off, e->name_len},
		       });
	}
}

void lk_node_emit(trace_buf_t *b, uint32_t from, uint32_t upto)
{
	if (!lk_node_on || from >= upto)
		return;
	pid_t pid = lk_sys_getpid();
	if (pid != lk_node_pid) { /* first call, or a forked child: its own map, if any */
		lk_node_pid = pid;
		lk_node_off = 0;
		lk_node_n = lk_node_names_len = 0;
		lk_node_maxsize = 0;
	}
	if (from == 0)
		for (size_t i = 0; i < lk_node_n; i++)
			lk_node_ents[i].emitted = 0;
	bool read = false;
	for (uint32_t id = from + 1; id <= upto; id++) {
		uint32_t n;
		const uintptr_t *f = lk_stack_table_frames(id, &n);
		for (uint32_t i = 0; i < n; i++) {
			if ((f[i] & LK_PY_FRAME_TAG) || lk_modules_contains(f[i]))
				continue;
			if (!read) {
				lk_node_read();
				read = true;
			}
			lk_node_cover(b, f[i]);
		}
	}
}

void lk_node_finish(void)
{
	if (!lk_node_on || !lk_node_ours)
		return;
	char path[48];
	lk_node_path(path, lk_sys_getpid());
	syscall(SYS_unlink, path); /* not through the unlink hook: not the program's */
}
