/* config.c - LEAK_* variables. getenv() does not allocate; parsing is done by hand so that
 * nothing here touches malloc or stdio (the constructor runs before the host's main, possibly
 * before its own allocator is ready). */
#include "config.h"
#include "log.h"
#include "sample.h"
#include "sys.h"
#include "unwind.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

lk_config_t lk_config = {
    .depth = 64,
    .interval_ms = 1000,
    .follow_fork = true,
    .out_pattern = "./leak.%e.%p.lkt",
};

/* Parses a decimal in [lo, hi]; on anything else warns and returns dflt. */
static uint32_t lk_config_uint(const char *name, uint32_t lo, uint32_t hi, uint32_t dflt)
{
	const char *s = getenv(name);
	if (!s)
		return dflt;
	uint64_t v = 0;
	const char *p = s;
	while (*p >= '0' && *p <= '9' && v <= hi)
		v = v * 10 + (uint64_t)(*p++ - '0');
	if (p == s || *p || v < lo || v > hi) {
		lk_warn("ignoring bad ", name, " (using the default)");
		return dflt;
	}
	return (uint32_t)v;
}

void lk_config_init(void)
{
	const char *d = getenv("LEAK_DISABLE");
	lk_config.disable = d && strcmp(d, "1") == 0;
	lk_config.depth = lk_config_uint("LEAK_DEPTH", 1, 256, 64);
	lk_config.interval_ms = lk_config_uint("LEAK_INTERVAL_MS", 10, 3600000, 1000);
	lk_config.follow_fork = lk_config_uint("LEAK_FOLLOW_FORK", 0, 1, 1) != 0;
	lk_config.execed = getenv("LEAK_EXECED_FROM") != NULL;
	int mode = lk_unwind_parse_mode(getenv("LEAK_UNWIND"));
	if (mode < 0) {
		lk_warn("ignoring bad LEAK_UNWIND (dwarf, fp or libunwind; using dwarf)", NULL,
		        NULL);
		mode = LK_UNWIND_DWARF;
	}
	lk_config.unwind = (uint8_t)mode;
	lk_unwind_set_mode((lk_unwind_mode_t)mode);
	lk_config.sample_bytes = lk_config_uint("LEAK_SAMPLE", 0, 1u << 30, 0);
	if (lk_sample_init(lk_config.sample_bytes) < 0) {
		lk_warn("LEAK_SAMPLE: out of memory, recording every allocation", NULL, NULL);
		lk_config.sample_bytes = 0;
	}
	const char *out = getenv("LEAK_OUT");
	if (out && *out) {
		if (strlen(out) >= sizeof(lk_config.out_pattern))
			lk_warn("ignoring bad LEAK_OUT (too long; using the default)", NULL, NULL);
		else
			strcpy(lk_config.out_pattern, out);
	}
}

static int lk_config_append(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	if (*n + len + 1 > cap)
		return -ENAMETOOLONG;
	memcpy(out + *n, s, len);
	*n += len;
	out[*n] = 0;
	return 0;
}

int lk_config_expand_out(const char *pattern, const char *exe, int pid, char *out, size_t cap)
{
	size_t n = 0;
	int r = 0;
	if (cap == 0)
		return -ENAMETOOLONG;
	out[0] = 0;
	if (pattern[0] != '/') {
		/* Resolve now: the host may chdir before the first flush. */
		long len = syscall(SYS_getcwd, out, cap);
		if (len < 0)
			return -errno;
		n = strlen(out);
		if (n > 1 && (r = lk_config_append(out, cap, &n, "/", 1)) < 0)
			return r;
		if (n == 1 && out[0] != '/')
			return -ENOENT;
		if (pattern[0] == '.' && pattern[1] == '/')
			pattern += 2;
	}
	const char *base = exe ? strrchr(exe, '/') : NULL;
	base = base ? base + 1 : (exe ? exe : "unknown");
	for (const char *p = pattern; *p && r == 0; p++) {
		if (p[0] == '%' && p[1] == 'p') {
			char num[21];
			size_t len = lk_fmt_u64(num, (uint64_t)pid);
			r = lk_config_append(out, cap, &n, num, len);
			p++;
		} else if (p[0] == '%' && p[1] == 'e') {
			r = lk_config_append(out, cap, &n, base, strlen(base));
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			r = lk_config_append(out, cap, &n, "%", 1);
			p++;
		} else {
			r = lk_config_append(out, cap, &n, p, 1);
		}
	}
	return r;
}
