/* SPDX-License-Identifier: MIT */
/* interpose_dl.c - dlclose, only to keep the module map current, so that stacks from a
 * library that is later unloaded still symbolize. Before the real dlclose the map is rescanned
 * (the library is certainly in it) and stacks not yet written are flushed (writer.h), since
 * another library may later be mapped over the same addresses; after it, a rescan marks what
 * vanished (MODULE_UNLOAD) and starts a new stack epoch, so that a library later mapped at the
 * same addresses never shares stack ids with the unloaded one.
 * dlopen is deliberately NOT interposed: glibc resolves a relative name against the calling
 * object's RUNPATH/$ORIGIN and namespace, and a hook would make libleak.so the caller. New
 * libraries are found instead by the writer, which rescans when a frame lies in no known module,
 * and by the rescan here before any unload. */
#include "hook.h"
#include "modules.h"
#include "python.h"
#include "stack_table.h"
#include "unwind.h"
#include "writer.h"

#include <dlfcn.h>

LK_EXPORT int dlclose(void *handle)
{
	__typeof__(lk_real.dlclose) fn = LK_REAL(dlclose);
	if (lk_guard_enter()) {
		lk_modules_scan();
		lk_writer_flush_before_unload();
		lk_guard_leave();
	}
	lk_py_dlclose_begin();
	int r = fn ? fn(handle) : -1;
	if (r == 0 && lk_guard_enter()) {
		if (lk_modules_scan() > 0) {
			lk_stack_table_new_epoch();
			lk_unwind_invalidate(); /* its unwind rules must not outlive it either */
		}
		lk_guard_leave();
	}
	lk_py_dlclose_end(); /* after the rescan: is libpython still mapped? */
	return r;
}
