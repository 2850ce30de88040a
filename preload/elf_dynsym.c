/* SPDX-License-Identifier: MIT */
/* elf_dynsym.c - lookups in a loaded module's GNU hash table (see elf_dynsym.h). */
#include "elf_dynsym.h"

#include <elf.h>
#include <string.h>

static uint32_t lk_gnu_hash(const char *s)
{
	uint32_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* glibc relocates the dynamic section's pointers in place on x86-64; not every loader does. */
static uintptr_t lk_dyn_ptr(uintptr_t base, uintptr_t v)
{
	return v < base ? v + base : v;
}

int lk_elf_dynsym_init(lk_elf_dynsym_t *e, uintptr_t base, const ElfW(Dyn) * dyn)
{
	memset(e, 0, sizeof(*e));
	e->base = base;
	for (const ElfW(Dyn) *d = dyn; d && d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_SYMTAB)
			e->symtab = (const ElfW(Sym) *)lk_dyn_ptr(base, d->d_un.d_ptr);
		else if (d->d_tag == DT_STRTAB)
			e->strtab = (const char *)lk_dyn_ptr(base, d->d_un.d_ptr);
		else if (d->d_tag == DT_STRSZ)
			e->strsz = d->d_un.d_val;
		else if (d->d_tag == DT_GNU_HASH)
			e->gnu = (const uint32_t *)lk_dyn_ptr(base, d->d_un.d_ptr);
		else if (d->d_tag == DT_VERSYM)
			e->versym = (const ElfW(Half) *)lk_dyn_ptr(base, d->d_un.d_ptr);
	}
	return e->symtab && e->strtab && e->gnu ? 0 : -1;
}

const ElfW(Sym) * lk_elf_dynsym_find(const lk_elf_dynsym_t *e, const char *name)
{
	if (!e->gnu || !e->symtab || !e->strtab)
		return NULL;
	uint32_t nbuckets = e->gnu[0], symoffset = e->gnu[1], bloom_size = e->gnu[2];
	if (!nbuckets)
		return NULL;
	const uint32_t *buckets = e->gnu + 4 + bloom_size * (sizeof(ElfW(Addr)) / 4);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t h = lk_gnu_hash(name);
	uint32_t i = buckets[h % nbuckets];
	if (i < symoffset)
		return NULL;
	for (uint32_t guard = 0; guard < (1u << 20); guard++, i++) {
		uint32_t h2 = chain[i - symoffset];
		const ElfW(Sym) *s = &e->symtab[i];
		if ((h | 1) == (h2 | 1) && s->st_shndx != SHN_UNDEF &&
		    (!e->strsz || s->st_name < e->strsz) &&
		    strcmp(e->strtab + s->st_name, name) == 0 &&
		    !(e->versym && (e->versym[i] & 0x8000)))
			return s;
		if (h2 & 1)
			break;
	}
	return NULL;
}

static int lk_elf_dynsym_maybe_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	const char **name = arg;
	const ElfW(Dyn) *dyn = NULL;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	if (!dyn)
		return 0; /* nothing dlsym could find there */
	lk_elf_dynsym_t e;
	if (lk_elf_dynsym_init(&e, info->dlpi_addr, dyn) != 0 || lk_elf_dynsym_find(&e, *name)) {
		*name = NULL;
		return 1;
	}
	return 0;
}

bool lk_elf_dynsym_maybe(const char *name)
{
	dl_iterate_phdr(lk_elf_dynsym_maybe_cb, &name);
	return name == NULL;
}
