/* config.h - the LEAK_* environment, read once by the constructor without allocating.
 * Defaults live in config.c only. A bad value prints one warning and keeps the default. */
#ifndef LEAK_PRELOAD_CONFIG_H
#define LEAK_PRELOAD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	bool disable;           /* LEAK_DISABLE=1: hooks pass through, no trace */
	uint32_t depth;         /* LEAK_DEPTH, 1..256, default 64 */
	uint32_t interval_ms;   /* LEAK_INTERVAL_MS, 10..3600000, default 1000 */
	bool follow_fork;       /* LEAK_FOLLOW_FORK, default 1 */
	bool execed;            /* LEAK_EXECED_FROM present (set by the exec hook) */
	uint8_t unwind;         /* LEAK_UNWIND: dwarf (default), fp, libunwind (lk_unwind_mode_t) */
	uint64_t sample_bytes;  /* LEAK_SAMPLE: 0 = record every allocation (default), N = Poisson
	                         * sampling by bytes with mean N */
	char out_pattern[4096]; /* LEAK_OUT, default "./leak.%e.%p.lkt" */
} lk_config_t;

extern lk_config_t lk_config;

/* Constructor context, once. Reads the environment into lk_config. */
void lk_config_init(void);

/* Expands %p (pid), %e (exe basename), %% in pattern into out (cap bytes) and makes it
 * absolute against the current directory. Returns 0, or -ENAMETOOLONG / -errno. Never
 * allocates. */
int lk_config_expand_out(const char *pattern, const char *exe, int pid, char *out, size_t cap);

#endif
