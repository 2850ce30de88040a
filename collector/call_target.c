/* SPDX-License-Identifier: MIT */
/* call_target.c - see call_target.h. x86-64 only: a direct call is e8 rel32 (5 bytes), an
 * indirect one through the GOT (-fno-plt) is ff 15 disp32 (6 bytes). A direct call into the
 * PLT lands on a stub whose first jump through the GOT (jmp *disp(%rip), possibly after
 * endbr64 and a bnd prefix) names the GOT slot; the slot's JUMP_SLOT or GLOB_DAT relocation
 * names the symbol. */
#include "call_target.h"

#include <gelf.h>
#include <string.h>

/* n bytes at vaddr from an allocated section of elf into out; 0 or -1. */
static int read_at(Elf *elf, uint64_t vaddr, uint8_t *out, size_t n)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_ALLOC) || vaddr < sh.sh_addr ||
		    vaddr + n > sh.sh_addr + sh.sh_size)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || vaddr - sh.sh_addr + n > d->d_size)
			return -1;
		memcpy(out, (const uint8_t *)d->d_buf + (vaddr - sh.sh_addr), n);
		return 0;
	}
	return -1;
}

static int32_t rel32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* The symbol whose relocation targets the GOT slot at got. */
static const char *slot_symbol(Elf *elf, uint64_t got)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		Elf_Scn *symscn = elf_getscn(elf, sh.sh_link);
		GElf_Shdr symsh;
		if (!d || !symscn || !gelf_getshdr(symscn, &symsh))
			continue;
		Elf_Data *syms = elf_getdata(symscn, NULL);
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			if (!gelf_getrela(d, (int)i, &r) || r.r_offset != got)
				continue;
			if (!syms || !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym))
				return NULL;
			return elf_strptr(elf, symsh.sh_link, sym.st_name);
		}
	}
	return NULL;
}

const char *call_target_name(Dwfl_Module *mod, uint64_t ret_vaddr)
{
	GElf_Addr bias;
	Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;
	uint8_t b[16];
	if (!elf || ret_vaddr < 6 || read_at(elf, ret_vaddr - 6, b, 6) != 0)
		return NULL;
	if (b[0] == 0xff && b[1] == 0x15) /* call *disp32(%rip) */
		return slot_symbol(elf, ret_vaddr + (uint64_t)(int64_t)rel32(b + 2));
	if (b[1] != 0xe8)
		return NULL;
	uint64_t target = ret_vaddr + (uint64_t)(int64_t)rel32(b + 2);
	/* A PLT stub: find its jmp *disp32(%rip) (ff 25, maybe after f3 0f 1e fa and f2). */
	if (read_at(elf, target, b, sizeof(b)) == 0) {
		for (size_t i = 0; i + 6 <= sizeof(b); i++) {
			if (b[i] == 0xff && b[i + 1] == 0x25) {
				const char *name = slot_symbol(
				    elf, target + i + 6 + (uint64_t)(int64_t)rel32(b + i + 2));
				if (name)
					return name;
				break;
			}
		}
	}
	GElf_Sym sym;
	GElf_Off off;
	const char *name = dwfl_module_addrinfo(mod, target, &off, &sym, NULL, NULL, NULL);
	return name && off == 0 ? name : NULL;
}
