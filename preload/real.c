/* SPDX-License-Identifier: MIT */
/* real.c - the lk_real table, from dlsym(RTLD_NEXT), and the process-wide state every hook
 * reads (guard, lk_ready, lk_disabled). dlsym calls calloc, which lands in our own calloc while
 * lk_real.malloc is still NULL: the in-progress flag below makes the heap hooks serve those from
 * the bootstrap arena instead of recursing, and makes any other hook that runs meanwhile look
 * its one function up by name. */
#include "fork_hot.h"
#include "guard.h"
#include "real.h"

#include <dlfcn.h>
#include <stddef.h>

__thread int lk_guard_depth __attribute__((tls_model("initial-exec")));
volatile int lk_disabled LK_FORK_HOT;
volatile int lk_ready;
int lk_attach_mode; /* attach.h: here, so every file that reads it links without attach.c */
unsigned lk_attach_gen;

lk_real_t lk_real;

static int lk_real_resolving;
/* RTLD_NEXT when preloaded; RTLD_DEFAULT once leak_attach_begin routes a running program's
 * calls here (attach.c): what its modules were bound to, whichever library defines it. */
static void *lk_real_handle = RTLD_NEXT;
static void *(*lk_real_find)(const char *); /* attached: the definition a name is bound to */

static void *lk_real_sym(const char *name)
{
	int depth = lk_guard_depth;
	lk_guard_depth = 1; /* dlsym's own calloc must not be recorded */
	void *p = lk_real_find ? lk_real_find(name) : dlsym(lk_real_handle, name);
	/* Attached: a name the program's own scope lacks (pthread_create before glibc 2.34, in a
	 * program without libpthread) is the one libleak's own dependencies bring. */
	if (!p && lk_real_handle == RTLD_DEFAULT)
		p = dlsym(RTLD_NEXT, name);
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

int lk_real_init_global(void *(*find)(const char *))
{
	if (lk_real.malloc && lk_real.free)
		return 0;
	lk_real_handle = RTLD_DEFAULT;
	lk_real_find = find;
	int r = lk_real_init();
	/* A name the program's libraries lack resolves to libleak's own hook if the tracer loaded
	 * it RTLD_GLOBAL: calling that would recurse, so the hook fails with ENOSYS instead. */
	Dl_info self, got;
	if (r == 0 && dladdr((void *)&lk_real_init_global, &self)) {
		void **slot = (void **)&lk_real;
		for (size_t i = 0; i < sizeof(lk_real) / sizeof(void *); i++)
			if (slot[i] && dladdr(slot[i], &got) && got.dli_fbase == self.dli_fbase)
				__atomic_store_n(&slot[i], NULL, __ATOMIC_RELEASE);
	}
	return lk_real.malloc && lk_real.free ? r : -1;
}

void *lk_real_resolve(void *const *slot, const char *name)
{
	if (lk_real_init() == 0)
		return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	return lk_real_sym(name);
}
