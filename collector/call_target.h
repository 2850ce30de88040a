/* SPDX-License-Identifier: MIT */
/* call_target.h - which function a call instruction calls, read from the ELF file: the
 * symbol behind a PLT stub or a GOT slot, or the direct target. The symbolizer needs it where
 * a tail call leaves no frame of its own: libstdc++'s operator new[] jumps to operator new,
 * so the stack holds operator new and the caller of new[]; the call before the caller's
 * return address says which one it made. */
#ifndef LEAK_COLLECTOR_CALL_TARGET_H
#define LEAK_COLLECTOR_CALL_TARGET_H

#include <elfutils/libdwfl.h>
#include <stdint.h>

/* The (mangled) name of the function called by the call instruction that ends at ret_vaddr
 * (a return address, as a link-time address of mod), or NULL when that is not a call whose
 * target can be read. The string lives as long as mod. */
const char *call_target_name(Dwfl_Module *mod, uint64_t ret_vaddr);

#endif
