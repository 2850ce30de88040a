/* SPDX-License-Identifier: MIT */
/* config.h - the LEAK_* settings: one table in config.c (name, type, bounds, default; one row
 * each), read once by the constructor without allocating, validated once. A bad value prints
 * one line naming the variable, the value and what is allowed, and the default is kept. No
 * other file reads a LEAK_* variable: every consumer asks lk_config. */
#ifndef LEAK_PRELOAD_CONFIG_H
#define LEAK_PRELOAD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	bool disable;           /* LEAK_DISABLE=1: hooks pass through, no trace */
	uint32_t depth;         /* LEAK_DEPTH: frames per stack */
	uint32_t interval_ms;   /* LEAK_INTERVAL_MS: snapshot interval */
	bool follow_fork;       /* LEAK_FOLLOW_FORK: a forked child writes its own trace */
	uint32_t execed_from;   /* LEAK_EXECED_FROM (set by the exec hook): the traced process
	                         * that exec'd this program, 0 if none (config.c) */
	bool version;           /* LEAK_VERSION=1: one startup line with the version */
	uint8_t unwind;         /* LEAK_UNWIND: dwarf, fp, libunwind (lk_unwind_mode_t) */
	uint64_t sample_bytes;  /* LEAK_SAMPLE: 0 = record every allocation, N = Poisson
	                         * sampling by bytes with mean N */
	char out_pattern[4096]; /* LEAK_OUT as given (tracefile.c makes it a path) */
	bool python;            /* LEAK_PYTHON: Python frames in the stacks of a CPython process */
	bool python_malloc;     /* LEAK_PYTHONMALLOC: set PYTHONMALLOC=malloc if unset */
	bool node;              /* LEAK_NODE: JavaScript names from V8's perf map in node */
	uint32_t python_test_version; /* LEAK_PYTHON_TEST_VERSION: tests only, pretend 3.N (3NN) */
} lk_config_t;

extern lk_config_t lk_config;

/* Constructor context, once, before anything asks lk_config. Reads and validates every
 * LEAK_* variable of the table into lk_config (the defaults where unset or bad). */
void lk_config_init(void);

/* Every setting at its default, no variable read: a libleak.so loaded into a running program
 * takes its settings from leak_attach_begin's arguments, never from the program's
 * environment. */
void lk_config_defaults(void);

#endif
