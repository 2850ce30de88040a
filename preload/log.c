/* log.c - libleak's only output besides the trace: one line on stderr, built on the stack and
 * written with a single raw write(2), so it is safe from hooks and signal handlers and never
 * interleaves mid-line with the host's own output. */
#include "log.h"
#include "sys.h"

#include <string.h>

void lk_warn(const char *a, const char *b, const char *c)
{
	static const char prefix[] = "libleak: ";
	char line[1024];
	size_t n = sizeof(prefix) - 1;
	memcpy(line, prefix, n);
	const char *parts[3] = {a, b, c};
	for (int i = 0; i < 3; i++) {
		if (!parts[i])
			continue;
		size_t len = strlen(parts[i]);
		if (len > sizeof(line) - 1 - n)
			len = sizeof(line) - 1 - n;
		memcpy(line + n, parts[i], len);
		n += len;
	}
	line[n++] = '\n';
	lk_sys_write(2, line, n); /* lk_sys_write preserves errno */
}
