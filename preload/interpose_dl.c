/* interpose_dl.c - dlopen/dlmopen/dlclose, only to keep the module map current: a rescan
 * after each returns, so that stacks from a library that is later unloaded still symbolize
 * (the writer emits MODULE before any STACK in it and MODULE_UNLOAD once it is gone). The
 * module list itself is the "before" set for dlclose: the rescan marks what vanished. Before
 * the real dlclose, stacks not yet written are flushed (writer.h), since another library may
 * later be mapped over the same addresses. */
#include "guard.h"
#include "modules.h"
#include "real.h"
#include "writer.h"

#include <dlfcn.h>

#define LK_EXPORT __attribute__((visibility("default")))

static void lk_dl_rescan(void)
{
	if (lk_guard_enter()) {
		lk_modules_scan();
		lk_guard_leave();
	}
}

LK_EXPORT void *dlopen(const char *file, int mode)
{
	if (!lk_real.dlopen)
		lk_real.dlopen = (void *(*)(const char *, int))lk_real_sym("dlopen");
	void *h = lk_real.dlopen ? lk_real.dlopen(file, mode) : NULL;
	if (h)
		lk_dl_rescan();
	return h;
}

LK_EXPORT void *dlmopen(Lmid_t lmid, const char *file, int mode)
{
	static void *(*real_dlmopen)(Lmid_t, const char *, int);
	if (!real_dlmopen)
		real_dlmopen = (void *(*)(Lmid_t, const char *, int))lk_real_sym("dlmopen");
	void *h = real_dlmopen ? real_dlmopen(lmid, file, mode) : NULL;
	if (h)
		lk_dl_rescan();
	return h;
}

LK_EXPORT int dlclose(void *handle)
{
	if (!lk_real.dlclose)
		lk_real.dlclose = (int (*)(void *))lk_real_sym("dlclose");
	if (lk_guard_enter()) {
		lk_writer_flush_before_unload();
		lk_guard_leave();
	}
	int r = lk_real.dlclose ? lk_real.dlclose(handle) : -1;
	if (r == 0)
		lk_dl_rescan();
	return r;
}
