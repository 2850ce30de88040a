/* SPDX-License-Identifier: MIT */
/* elf_dynsym.h - a loaded module's dynamic symbols read as memory, without the loader: what
 * dlsym would find in that one module, for callers that must not take the loader's lock (the
 * writer) or whose module dlsym cannot take as a handle (a library loaded at start). */
#ifndef LK_ELF_DYNSYM_H
#define LK_ELF_DYNSYM_H

#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uintptr_t base;
	const ElfW(Sym) * symtab;
	const char *strtab;
	size_t strsz;
	const uint32_t *gnu;       /* DT_GNU_HASH */
	const ElfW(Half) * versym; /* DT_VERSYM, NULL if the module has no versions */
} lk_elf_dynsym_t;

/* Fills e from the module loaded at base whose dynamic section is dyn; 0, or -1 when it lacks
 * a symbol table, a string table or a GNU hash table (then nothing is found in it). */
int lk_elf_dynsym_init(lk_elf_dynsym_t *e, uintptr_t base, const ElfW(Dyn) * dyn);

/* The module's own definition of name at its default version (a hidden older version is
 * skipped), or NULL. */
const ElfW(Sym) * lk_elf_dynsym_find(const lk_elf_dynsym_t *e, const char *name);

/* Whether a module loaded now may define name: one whose own symbols (read as memory) do, or
 * cannot be read. A dlsym(RTLD_DEFAULT) that finds nothing goes through the loader's error
 * path (about 20 us, a first malloc); asked first, this spares every program that is not
 * Python or node that cost at start. Takes the loader's lock (dl_iterate_phdr). */
bool lk_elf_dynsym_maybe(const char *name);

#endif
