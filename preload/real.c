/* SPDX-License-Identifier: MIT */
/* real.c - the lk_real table, from dlsym(RTLD_NEXT), and the process-wide state every hook
 * reads (guard, lk_ready, lk_disabled). dlsym calls calloc, which lands in our own calloc while
 * lk_real.malloc is still NULL: the in-progress flag below makes the heap hooks serve those from
 * the bootstrap arena instead of recursing, and makes any other hook that runs meanwhile look
 * its one function up by name. */
#include "guard.h"
#include "real.h"

#include <dlfcn.h>
#include <stddef.h>

__thread int lk_guard_depth __attribute__((tls_model("initial-exec")));
volatile int lk_disabled;
volatile int lk_ready;

lk_real_t lk_real;

static int lk_real_resolving;

static void *lk_real_sym(const char *name)
{
	int depth = lk_guard_depth;
	lk_guard_depth = 1; /* dlsym's own calloc must not be recorded */
	void *p = dlsym(RTLD_NEXT, name);
	lk_guard_depth = depth;
	return p;
}

int lk_real_init(void)
{
	if (lk_real.malloc && lk_real.free)
		return 0;
	if (__atomic_exchange_n(&lk_real_resolving, 1, __ATOMIC_ACQ_REL))
		return -1; /* nested (dlsym -> calloc) or another thread is resolving */
	lk_real_t r = {0};
#define LK_RESOLVE(f) (*(void **)&r.f = lk_real_sym(#f));
	LK_REAL_FUNCS(LK_RESOLVE)
	LK_RESOLVE(free)
	LK_RESOLVE(malloc)
#undef LK_RESOLVE
	/* Publish the rest before malloc/free, which the hooks test to decide readiness. */
	void *(*m)(size_t) = r.malloc;
	void (*f)(void *) = r.free;
	r.malloc = NULL;
	r.free = NULL;
	lk_real = r;
	__atomic_store_n(&lk_real.free, f, __ATOMIC_RELEASE);
	__atomic_store_n(&lk_real.malloc, m, __ATOMIC_RELEASE);
	__atomic_store_n(&lk_real_resolving, 0, __ATOMIC_RELEASE);
	return m && f ? 0 : -1;
}

void *lk_real_resolve(void *const *slot, const char *name)
{
	if (lk_real_init() == 0)
		return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	return lk_real_sym(name);
}
