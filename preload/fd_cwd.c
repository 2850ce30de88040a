/* SPDX-License-Identifier: MIT */
/* fd_cwd.c - the cached working directory (fd_cwd.h). A generation counter says which cwd is
 * current: every change bumps it after the change, and the cache is used only while it holds
 * the current generation. A lookup that misses asks the kernel and stores the answer only if
 * the generation did not move meanwhile, so an answer from before a chdir is never kept. The
 * buffer is copied under a spinlock held for a copy only. */
#include "fd_cwd.h"
#include "fork_hot.h"
#include "spin.h"

#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint32_t lk_cwd_gen = 1; /* current generation (0, once wrapped, is never cached) */
static int lk_cwd_off;          /* 1: the cwd may change unseen, never cache */
static volatile int lk_cwd_lock LK_FORK_HOT; /* a forked child reads it */
static uint32_t lk_cwd_at;                   /* generation the cache holds, 0: none */
static size_t lk_cwd_len;                    /* 0: getcwd failed (unknown) */
static char lk_cwd_buf[LK_FD_CWD_LEN];

/* The kernel's answer into buf (LK_FD_CWD_LEN); its length, 0 when it has none that fits. */
static size_t lk_cwd_ask(char *buf)
{
	long r = syscall(SYS_getcwd, buf, LK_FD_CWD_LEN);
	if (r <= 0) {
		buf[0] = '\0';
		return 0;
	}
	return strnlen(buf, LK_FD_CWD_LEN - 1);
}

/* Stores buf as the cwd of generation g, unless g is no longer current. */
static void lk_cwd_store(uint32_t g, const char *buf, size_t len)
{
	lk_spin_lock(&lk_cwd_lock);
	if (__atomic_load_n(&lk_cwd_gen, __ATOMIC_ACQUIRE) == g) {
		memcpy(lk_cwd_buf, buf, len + 1);
		lk_cwd_len = len;
		__atomic_store_n(&lk_cwd_at, g, __ATOMIC_RELAXED);
	}
	lk_spin_unlock(&lk_cwd_lock);
}

static size_t lk_cwd_out(const char *buf, size_t len, char *out, size_t n)
{
	if (len == 0 || len >= n) {
		out[0] = '\0';
		return 0;
	}
	memcpy(out, buf, len + 1);
	return len;
}

size_t lk_fd_cwd(char *out, size_t n)
{
	if (n == 0)
		return 0;
	uint32_t g = __atomic_load_n(&lk_cwd_gen, __ATOMIC_ACQUIRE);
	int off = __atomic_load_n(&lk_cwd_off, __ATOMIC_RELAXED);
	if (!off) {
		int hit = 0;
		size_t len = 0;
		lk_spin_lock(&lk_cwd_lock);
		if (lk_cwd_at == g && g != 0) {
			hit = 1;
			len = lk_cwd_out(lk_cwd_buf, lk_cwd_len, out, n);
		}
		lk_spin_unlock(&lk_cwd_lock);
		if (hit)
			return len;
	}
	char buf[LK_FD_CWD_LEN];
	size_t len = lk_cwd_ask(buf);
	if (!off)
		lk_cwd_store(g, buf, len);
	return lk_cwd_out(buf, len, out, n);
}

void lk_fd_cwd_changed(void)
{
	__atomic_add_fetch(&lk_cwd_gen, 1, __ATOMIC_ACQ_REL);
}

void lk_fd_cwd_disable(void)
{
	__atomic_store_n(&lk_cwd_off, 1, __ATOMIC_RELAXED);
	lk_fd_cwd_changed();
}

void lk_fd_cwd_refresh(void)
{
	uint32_t g = __atomic_load_n(&lk_cwd_gen, __ATOMIC_ACQUIRE);
	if (g == 0 || __atomic_load_n(&lk_cwd_off, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&lk_cwd_at, __ATOMIC_RELAXED) != g)
		return; /* nothing current cached: the next lookup asks anyway */
	char buf[LK_FD_CWD_LEN];
	size_t len = lk_cwd_ask(buf);
	lk_cwd_store(g, buf, len);
}

LK_FORK_TEXT void lk_fd_cwd_fork_child(void)
{
	if (lk_cwd_lock) /* stored only if held: the page stays shared with the parent */
		lk_cwd_lock = 0;
}
