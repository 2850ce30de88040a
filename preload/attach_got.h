/* SPDX-License-Identifier: MIT */
/* attach_got.h - a running program's GOT entries for the interposed names, pointed at the hooks
 * while attached and put back at detach (attach_got.c). */
#ifndef LEAK_PRELOAD_ATTACH_GOT_H
#define LEAK_PRELOAD_ATTACH_GOT_H

/* The function name is bound to in the global scope: dlsym(RTLD_DEFAULT), or, where that is
 * a non-PIE executable's canonical PLT entry, the definition the entry jumps to. NULL if none. */
void *lk_got_define(const char *name);

/* Looks up libleak's hooks and what each name is bound to (dlsym), once. 0 or -1. */
int lk_got_init(void);

/* Patches every loaded module's slots (libleak, the dynamic linker and the vDSO excepted).
 * Returns how many slots now point at a hook, or -1. */
int lk_got_patch_all(void);

/* Modules loaded since the last pass are patched, unloaded ones forgotten (writer thread, and
 * the dlopen wrapper). No-op when not attached. */
void lk_got_poll(void);

/* Puts back every slot that still holds a hook, in the modules still loaded. Returns how many
 * slots were patched, or -ETIMEDOUT when a pass held the lock for a second (a writer thread
 * stopped inside one): nothing changed then. */
int lk_got_restore_all(void);

/* Slots patched now. */
int lk_got_active_slots(void);

#endif
