/* SPDX-License-Identifier: MIT */
/* preload_order.c - another allocator preloaded before libleak.so
 * (LD_PRELOAD=libjemalloc.so.2:libleak.so) binds the program's malloc to itself, so libleak's
 * hooks never see an allocation and the trace would say "0 allocations" with a real leak in
 * the program. The constructor asks the dynamic linker which object the name malloc resolves
 * to; if that is a shared library other than libleak.so (a program defining malloc itself is
 * its own business), one line on stderr names it and the order that works. */
#include "preload_order.h"
#include "config.h"
#include "guard.h"
#include "log.h"

#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

void lk_preload_order_check(void)
{
	if (lk_config.execed_from)
		return; /* said once, by the first traced process of the tree */
	int depth = lk_guard_depth;
	lk_guard_depth = 1; /* dlsym's own calloc is not the program's */
	void *bound = dlsym(RTLD_DEFAULT, "malloc");
	Dl_info bi, oi;
	struct link_map *lm = NULL;
	int ok = bound && dladdr1(bound, &bi, (void **)&lm, RTLD_DL_LINKMAP) && lm &&
	         dladdr((void *)&lk_preload_order_check, &oi);
	lk_guard_depth = depth;
	if (!ok || !lm->l_name || !lm->l_name[0])
		return; /* ours, or the executable's own malloc */
	if (oi.dli_fbase == bi.dli_fbase)
		return;
	lk_warn("malloc is taken by ", lm->l_name,
	        ", preloaded before libleak.so, so no allocation can be recorded; put libleak.so "
	        "first in LD_PRELOAD (as leak-run does)");
}
