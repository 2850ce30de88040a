/* SPDX-License-Identifier: MIT */
/* attach_got.c - routing a running program's calls to the hooks by rewriting its GOT entries.
 * A program started without the preload has its symbol bindings made already: each loaded
 * module (but libleak, the dynamic linker and the vDSO) holds the address of libc's malloc,
 * open, ... in a GOT slot named by a JUMP_SLOT or GLOB_DAT relocation. For each such slot whose
 * symbol libleak interposes (the names below, libleak.map's), the slot gets the hook's address
 * and the old value is kept to be put back (R_X86_64_64 pointers in data too). A slot is taken
 * only if it holds what the name resolves to in the global scope (lk_real, lk_got_define: the
 * definition behind a non-PIE executable's canonical PLT entry), or, for a name the module does
 * not define, its lazy-binding stub: a module bound elsewhere (a symbol version, DEEPBIND, its
 * own definition) keeps its binding, since the hook would call another function than its own.
 * RELRO pages are made writable for the write and read-only again. Restoring writes a slot back
 * only if it still holds the hook, and only in modules still loaded (checked under the
 * loader's lock, inside dl_iterate_phdr, so none is unloaded meanwhile).
 * Modules loaded later: the program's dlopen/dlmopen slots get a wrapper that patches what the
 * real call loaded, when the caller's library path search is the same from libleak (no
 * DT_RPATH/DT_RUNPATH of its own); the writer's poll catches the rest within an interval.
 * Calls inside libc to its own functions (fopen's malloc, system's fork) never pass a slot, so
 * they are not routed, as they are not under LD_PRELOAD either except for the few libc makes
 * through its PLT (malloc, calloc, realloc, free, ...: those are routed, libc being patched
 * like any module). No malloc: tables are static or mmap'd; libc's dlsym and dl_iterate_phdr
 * take the loader's lock. */
#include "attach_got.h"
#include "elf_dynsym.h"
#include "guard.h"
#include "log.h"
#include "real.h"
#include "sys.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* libleak.map's names, less __libc_start_main (it ran long ago), plus dlopen and dlmopen;
 * sorted by lk_got_init for the binary search. */
static const char *lk_got_names[] = {
    "__open64_2",
    "__open_2",
    "__openat64_2",
    "__openat_2",
    "_Exit",
    "_exit",
    "accept",
    "accept4",
    "aligned_alloc",
    "bind",
    "calloc",
    "cfree",
    "close",
    "close_range",
    "closedir",
    "closefrom",
    "connect",
    "creat",
    "creat64",
    "daemon",
    "dlclose",
    "dlmopen",
    "dlopen",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "eventfd",
    "execl",
    "execle",
    "execlp",
    "execv",
    "execve",
    "execvp",
    "execvpe",
    "exit",
    "fclose",
    "fcntl",
    "fcntl64",
    "fdopen",
    "fdopendir",
    "fexecve",
    "fopen",
    "fopen64",
    "fork",
    "free",
    "freopen",
    "freopen64",
    "inotify_init",
    "inotify_init1",
    "kill",
    "malloc",
    "memalign",
    "memfd_create",
    "mkdtemp",
    "mkostemp",
    "mkostemp64",
    "mkostemps",
    "mkostemps64",
    "mkstemp",
    "mkstemp64",
    "mkstemps",
    "mkstemps64",
    "open",
    "open64",
    "openat",
    "openat64",
    "opendir",
    "pclose",
    "pidfd_getfd",
    "pidfd_open",
    "pipe",
    "pipe2",
    "popen",
    "posix_memalign",
    "posix_spawn",
    "posix_spawnp",
    "pthread_create",
    "pthread_detach",
    "pthread_exit",
    "pthread_join",
    "pthread_timedjoin_np",
    "pthread_tryjoin_np",
    "pvalloc",
    "quick_exit",
    "raise",
    "realloc",
    "reallocarray",
    "recvmmsg",
    "recvmsg",
    "remove",
    "rmdir",
    "sigaction",
    "signal",
    "signalfd",
    "socket",
    "socketpair",
    "syscall",
    "system",
    "timerfd_create",
    "tmpfile",
    "tmpfile64",
    "unlink",
    "unlinkat",
    "valloc",
    "vfork",
    "wait",
    "wait3",
    "wait4",
    "waitid",
    "waitpid",
};
#define LK_GOT_NNAMES (sizeof(lk_got_names) / sizeof(lk_got_names[0]))

static uintptr_t lk_got_hook[LK_GOT_NNAMES]; /* libleak's function for each name */
static uintptr_t lk_got_real[LK_GOT_NNAMES]; /* what the global scope binds it to */
static int lk_got_ready;

typedef struct {
	uintptr_t *slot;
	uintptr_t old;
	uint16_t name; /* index in lk_got_names */
} lk_got_rec_t;

typedef struct {
	uintptr_t base;
	const void *phdr;
	uint32_t first, n; /* its records */
	uintptr_t relro_lo, relro_hi;
} lk_got_mod_t;

#define LK_GOT_MAX_RECS 32768
#define LK_GOT_MAX_MODS 1024
static lk_got_rec_t *lk_got_recs;
static uint32_t lk_got_nrecs;
static lk_got_mod_t *lk_got_mods;
static uint32_t lk_got_nmods;
static volatile int lk_got_lock;
static int lk_got_active;
static uintptr_t lk_got_self_base;

static void lk_got_spin(void)
{
	while (__atomic_exchange_n(&lk_got_lock, 1, __ATOMIC_ACQUIRE))
		syscall(SYS_sched_yield);
}

static void lk_got_unspin(void)
{
	__atomic_store_n(&lk_got_lock, 0, __ATOMIC_RELEASE);
}

static int lk_got_find(const char *name)
{
	size_t lo = 0, hi = LK_GOT_NNAMES;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, lk_got_names[mid]);
		if (c == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* The wrappers of dlopen/dlmopen (not exported: see interpose_dl.c for why libleak.so does
 * not interpose dlopen; a patched slot only reaches them from callers that search alike). */
static void *lk_got_dlopen(const char *file, int mode);
static void *lk_got_dlmopen(Lmid_t lmid, const char *file, int mode);
static void *(*lk_got_real_dlopen)(const char *, int);
static void *(*lk_got_real_dlmopen)(Lmid_t, const char *, int);

int lk_got_init(void)
{
	if (lk_got_ready)
		return 0;
	for (size_t i = 1; i < LK_GOT_NNAMES; i++) /* insertion sort, strcmp order */
		for (size_t j = i; j > 0 && strcmp(lk_got_names[j - 1], lk_got_names[j]) > 0; j--) {
			const char *t = lk_got_names[j];
			lk_got_names[j] = lk_got_names[j - 1];
			lk_got_names[j - 1] = t;
		}
	Dl_info self;
	struct link_map *lm = NULL;
	if (!dladdr1((void *)&lk_got_init, &self, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return -1;
	lk_got_self_base = (uintptr_t)self.dli_fbase;
	lk_got_recs = lk_sys_mmap(LK_GOT_MAX_RECS * sizeof(lk_got_rec_t));
	lk_got_mods = lk_sys_mmap(LK_GOT_MAX_MODS * sizeof(lk_got_mod_t));
	if (!lk_got_recs || !lk_got_mods)
		return -1;
	lk_got_real_dlopen = (void *(*)(const char *, int))lk_got_define("dlopen");
	lk_got_real_dlmopen = (void *(*)(Lmid_t, const char *, int))lk_got_define("dlmopen");
	for (size_t i = 0; i < LK_GOT_NNAMES; i++) {
		const char *n = lk_got_names[i];
		if (strcmp(n, "dlopen") == 0) {
			lk_got_hook[i] = (uintptr_t)&lk_got_dlopen;
			lk_got_real[i] = (uintptr_t)lk_got_real_dlopen;
			continue;
		}
		if (strcmp(n, "dlmopen") == 0) {
			lk_got_hook[i] = (uintptr_t)&lk_got_dlmopen;
			lk_got_real[i] = (uintptr_t)lk_got_real_dlmopen;
			continue;
		}
		/* The link map is a handle: its own definition first, libleak's hook. */
		void *h = dlsym(lm, n);
		Dl_info hi;
		if (!h || !dladdr(h, &hi) || hi.dli_fbase != self.dli_fbase)
			continue;
		lk_got_hook[i] = (uintptr_t)h;
		lk_got_real[i] = (uintptr_t)lk_got_define(n);
		if (lk_got_real[i] == lk_got_hook[i])
			lk_got_real[i] = 0; /* the program has none: nothing to route */
	}
	lk_got_ready = 1;
	return 0;
}

/* ---- one module ---- */

typedef struct {
	uintptr_t base, lo, hi;
	const ElfW(Sym) * symtab;
	const char *strtab;
	size_t strsz;
	uintptr_t relro_lo, relro_hi; /* read-only now: made writable around a write */
	int has_path;                 /* DT_RPATH or DT_RUNPATH */
	uintptr_t w_lo[4], w_hi[4];   /* its writable PT_LOAD segments (RELRO is in one) */
	int nw;
} lk_got_elf_t;

/* A pointer in data may sit in text (DT_TEXTREL) the loader made read-only again: only one in
 * a writable segment is written. */
static bool lk_got_in_data(const lk_got_elf_t *e, uintptr_t a)
{
	for (int i = 0; i < e->nw; i++)
		if (a >= e->w_lo[i] && a + sizeof(uintptr_t) <= e->w_hi[i])
			return true;
	return false;
}

/* The protection of the mapping holding addr, from /proc/self/maps (raw reads): PROT_* bits, or
 * -1 if no mapping holds it. */
static int lk_got_page_prot(uintptr_t addr)
{
	int fd = lk_sys_open("/proc/self/maps", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	char buf[4096];
	size_t have = 0;
	int prot = -1;
	for (;;) {
		ssize_t n = lk_sys_read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			uintptr_t lo = 0, hi = 0;
			const char *c = line;
			for (; (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'); c++)
				lo = lo * 16 + (uintptr_t)(*c <= '9' ? *c - '0' : *c - 'a' + 10);
			if (*c == '-')
				for (c++; (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'); c++)
					hi = hi * 16 +
					     (uintptr_t)(*c <= '9' ? *c - '0' : *c - 'a' + 10);
			if (*c == ' ' && addr >= lo && addr < hi) {
				prot = (c[1] == 'r' ? PROT_READ : 0) |
				       (c[2] == 'w' ? PROT_WRITE : 0) |
				       (c[3] == 'x' ? PROT_EXEC : 0);
				goto out;
			}
			line = nl + 1;
		}
		have = strlen(line);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			have = 0; /* a line longer than the buffer: not one of ours */
	}
out:
	lk_sys_close(fd);
	return prot;
}

static uintptr_t lk_got_ptr(uintptr_t base, uintptr_t v)
{
	/* glibc relocates the dynamic section's pointers in place; the vDSO's and some
	 * loaders' are left as virtual addresses. */
	return v < base ? base + v : v;
}

static void lk_got_write(const lk_got_elf_t *e, uintptr_t *slot, uintptr_t v)
{
	uintptr_t a = (uintptr_t)slot;
	if (a >= e->relro_lo && a < e->relro_hi) {
		uintptr_t page = a & ~(uintptr_t)4095;
		if (syscall(SYS_mprotect, page, 4096, PROT_READ | PROT_WRITE) != 0)
			return;
		__atomic_store_n(slot, v, __ATOMIC_RELEASE);
		syscall(SYS_mprotect, page, 4096, PROT_READ);
		return;
	}
	__atomic_store_n(slot, v, __ATOMIC_RELEASE);
}

static void lk_got_patch_rela(const lk_got_elf_t *e, const ElfW(Rela) * r, size_t bytes)
{
	for (size_t k = 0; k < bytes / sizeof(*r); k++) {
		unsigned type = (unsigned)ELF64_R_TYPE(r[k].r_info);
		/* R_X86_64_64 with no addend: a pointer to the function in data (a table of
		 * allocator functions, a non-PIE executable's initialised function pointer),
		 * which LD_PRELOAD would have bound to the hook too. */
		if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT &&
		    (type != R_X86_64_64 || r[k].r_addend != 0))
			continue;
		const ElfW(Sym) *sym = &e->symtab[ELF64_R_SYM(r[k].r_info)];
		if (!sym->st_name || sym->st_name >= e->strsz)
			continue;
		int i = lk_got_find(e->strtab + sym->st_name);
		if (i < 0 || !lk_got_hook[i] || !lk_got_real[i])
			continue;
		if ((i == lk_got_find("dlopen") || i == lk_got_find("dlmopen")) && e->has_path)
			continue; /* its search path would be libleak's: leave it be */
		uintptr_t *slot = (uintptr_t *)(e->base + r[k].r_offset);
		if (type == R_X86_64_64 && !lk_got_in_data(e, (uintptr_t)slot))
			continue;
		uintptr_t cur = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
		bool lazy = type == R_X86_64_JUMP_SLOT && sym->st_shndx == SHN_UNDEF &&
		            cur >= e->lo && cur < e->hi;
		if ((cur != lk_got_real[i] && !lazy) || lk_got_nrecs >= LK_GOT_MAX_RECS)
			continue;
		lk_got_recs[lk_got_nrecs++] = (lk_got_rec_t){slot, cur, (uint16_t)i};
		lk_got_write(e, slot, lk_got_hook[i]);
	}
}

static bool lk_got_parse(struct dl_phdr_info *info, lk_got_elf_t *e, const ElfW(Dyn) * *dyn)
{
	memset(e, 0, sizeof(*e));
	e->base = info->dlpi_addr;
	e->lo = UINTPTR_MAX;
	*dyn = NULL;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = e->base + ph->p_vaddr;
		if (ph->p_type == PT_LOAD) {
			if (a < e->lo)
				e->lo = a;
			if (a + ph->p_memsz > e->hi)
				e->hi = a + ph->p_memsz;
			if ((ph->p_flags & PF_W) && e->nw < 4) {
				e->w_lo[e->nw] = a;
				e->w_hi[e->nw++] = a + ph->p_memsz;
			}
		} else if (ph->p_type == PT_DYNAMIC) {
			*dyn = (const ElfW(Dyn) *)a;
		} else if (ph->p_type == PT_GNU_RELRO) {
			/* As the loader protects it: whole pages from its start, up to the page
			 * its end falls in. */
			e->relro_lo = a & ~(uintptr_t)4095;
			e->relro_hi = (a + ph->p_memsz) & ~(uintptr_t)4095;
		}
	}
	return *dyn != NULL;
}

/* The dynamic section's entries that say where the relocations and symbols are. */
static void lk_got_dyn(lk_got_elf_t *e, const ElfW(Dyn) * dyn, uintptr_t *jmprel, size_t *pltrelsz,
                       uintptr_t *rela, size_t *relasz)
{
	for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_JMPREL:
			*jmprel = lk_got_ptr(e->base, d->d_un.d_ptr);
			break;
		case DT_PLTRELSZ:
			*pltrelsz = d->d_un.d_val;
			break;
		case DT_RELA:
			*rela = lk_got_ptr(e->base, d->d_un.d_ptr);
			break;
		case DT_RELASZ:
			*relasz = d->d_un.d_val;
			break;
		case DT_SYMTAB:
			e->symtab = (const ElfW(Sym) *)lk_got_ptr(e->base, d->d_un.d_ptr);
			break;
		case DT_STRTAB:
			e->strtab = (const char *)lk_got_ptr(e->base, d->d_un.d_ptr);
			break;
		case DT_STRSZ:
			e->strsz = d->d_un.d_val;
			break;
		case DT_RPATH:
		case DT_RUNPATH:
			e->has_path = 1;
			break;
		default:
			break;
		}
	}
}

/* ---- what a name is bound to ---- */

/* A non-PIE executable that takes a function's address (python3, node on Debian) makes its
 * PLT entry for it the canonical address: dlsym(RTLD_DEFAULT) and every other module's slot
 * give that stub, which jumps through the executable's own slot to the definition. The stub
 * is not a function to route to (a hook calling it would reach itself once that slot is
 * patched): the definition is what the executable's slot holds, or, not bound yet, the first
 * definition after it in load order. */
typedef struct {
	uintptr_t stub;
	const char *name;
	uintptr_t *slot; /* found: the executable's slot for it */
	uintptr_t lo, hi;
} lk_got_canon_t;

static int lk_got_canon_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	lk_got_canon_t *c = arg;
	lk_got_elf_t e;
	const ElfW(Dyn) * dyn;
	if (!lk_got_parse(info, &e, &dyn) || c->stub < e.lo || c->stub >= e.hi)
		return 0;
	uintptr_t jmprel = 0, rela = 0;
	size_t pltrelsz = 0, relasz = 0;
	lk_got_dyn(&e, dyn, &jmprel, &pltrelsz, &rela, &relasz);
	const ElfW(Rela) *r = (const ElfW(Rela) *)jmprel;
	for (size_t k = 0; e.symtab && e.strtab && r && k < pltrelsz / sizeof(*r); k++) {
		const ElfW(Sym) *sym = &e.symtab[ELF64_R_SYM(r[k].r_info)];
		if (ELF64_R_TYPE(r[k].r_info) != R_X86_64_JUMP_SLOT || sym->st_shndx != SHN_UNDEF ||
		    !sym->st_value || e.base + sym->st_value != c->stub || !sym->st_name ||
		    sym->st_name >= e.strsz || strcmp(e.strtab + sym->st_name, c->name) != 0)
			continue;
		c->slot = (uintptr_t *)(e.base + r[k].r_offset);
		c->lo = e.lo;
		c->hi = e.hi;
		break;
	}
	return 1; /* the module holding the stub was this one */
}

void *lk_got_define(const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);
	Dl_info di;
	struct link_map *lm = NULL;
	if (!p || !dladdr1(p, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return p;
	const ElfW(Sym) *sym = NULL;
	if (!dladdr1(p, &di, (void **)&sym, RTLD_DL_SYMENT) || !sym || di.dli_saddr != p ||
	    sym->st_shndx != SHN_UNDEF)
		return p; /* a symbol defined there (dladdr names a canonical entry too) */
	lk_got_canon_t c = {.stub = (uintptr_t)p, .name = name};
	dl_iterate_phdr(lk_got_canon_cb, &c);
	if (!c.slot)
		return p; /* not a canonical PLT entry after all */
	uintptr_t cur = __atomic_load_n(c.slot, __ATOMIC_ACQUIRE);
	if (cur && (cur < c.lo || cur >= c.hi))
		return (void *)cur;
	/* Not bound yet: the first definition in load order after the executable, libleak's
	 * own excepted (the search the loader makes for a PLT slot skips canonical entries). */
	Dl_info self;
	if (!dladdr((void *)&lk_got_define, &self))
		return NULL;
	/* Read from each module's own symbol table: dlsym takes a link map as a handle only when
	 * the module was dlopen()ed (one loaded at start has no search list: dlsym on it reads a
	 * null scope and faults). An IFUNC is left unrouted rather than resolved here. */
	for (struct link_map *m = lm->l_next; m; m = m->l_next) {
		lk_elf_dynsym_t e;
		if ((uintptr_t)m->l_addr == (uintptr_t)self.dli_fbase ||
		    lk_elf_dynsym_init(&e, m->l_addr, m->l_ld) != 0)
			continue;
		const ElfW(Sym) *qs = lk_elf_dynsym_find(&e, name);
		if (!qs || !qs->st_value)
			continue;
		if (ELF64_ST_TYPE(qs->st_info) == STT_GNU_IFUNC)
			return NULL;
		return (void *)(m->l_addr + qs->st_value);
	}
	return NULL;
}

/* ---- patching ---- */

static void lk_got_patch_module(struct dl_phdr_info *info)
{
	lk_got_elf_t e;
	const ElfW(Dyn) * dyn;
	if (!lk_got_parse(info, &e, &dyn))
		return;
	uintptr_t jmprel = 0, rela = 0;
	size_t pltrelsz = 0, relasz = 0;
	lk_got_dyn(&e, dyn, &jmprel, &pltrelsz, &rela, &relasz);
	if (!e.symtab || !e.strtab)
		return;
	if (e.relro_lo < e.relro_hi) {
		/* The loader makes RELRO read-only once the module is relocated: one still
		 * writable is being loaded right now (dl_iterate_phdr lists it already), and
		 * its slots may not hold their values yet. The next pass takes it. */
		int prot = lk_got_page_prot(e.relro_lo);
		if (prot < 0 || (prot & PROT_WRITE))
			return;
	}
	if (lk_got_nmods >= LK_GOT_MAX_MODS)
		return;
	lk_got_mod_t *m = &lk_got_mods[lk_got_nmods];
	*m = (lk_got_mod_t){.base = e.base,
	                    .phdr = info->dlpi_phdr,
	                    .first = lk_got_nrecs,
	                    .relro_lo = e.relro_lo,
	                    .relro_hi = e.relro_hi};
	if (jmprel)
		lk_got_patch_rela(&e, (const ElfW(Rela) *)jmprel, pltrelsz);
	if (rela)
		lk_got_patch_rela(&e, (const ElfW(Rela) *)rela, relasz);
	m->n = lk_got_nrecs - m->first;
	lk_got_nmods++; /* listed even with no slot: it was looked at */
}

static lk_got_mod_t *lk_got_mod_find(uintptr_t base, const void *phdr)
{
	for (uint32_t i = 0; i < lk_got_nmods; i++)
		if (lk_got_mods[i].base == base && lk_got_mods[i].phdr == phdr)
			return &lk_got_mods[i];
	return NULL;
}

static bool lk_got_skip(struct dl_phdr_info *info)
{
	if (info->dlpi_addr == lk_got_self_base)
		return true;
	if (info->dlpi_addr == getauxval(AT_BASE)) /* the dynamic linker */
		return true;
	uintptr_t vdso = getauxval(AT_SYSINFO_EHDR);
	return vdso && info->dlpi_addr == vdso;
}

/* Marks (seen) the modules still loaded, patches those not seen before. */
static uint8_t *lk_got_seen;

static int lk_got_patch_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	if (lk_got_skip(info))
		return 0;
	lk_got_mod_t *m = lk_got_mod_find(info->dlpi_addr, info->dlpi_phdr);
	if (!m) {
		lk_got_patch_module(info);
		m = lk_got_mod_find(info->dlpi_addr, info->dlpi_phdr);
	}
	if (m)
		lk_got_seen[m - lk_got_mods] = 1;
	return 0;
}

/* Drops the modules not seen by the last pass (unloaded): their slots are gone. */
static void lk_got_compact(void)
{
	uint32_t w = 0, wr = 0;
	for (uint32_t i = 0; i < lk_got_nmods; i++) {
		lk_got_mod_t m = lk_got_mods[i];
		if (!lk_got_seen[i])
			continue;
		memmove(&lk_got_recs[wr], &lk_got_recs[m.first], m.n * sizeof(lk_got_rec_t));
		m.first = wr;
		wr += m.n;
		lk_got_mods[w++] = m;
	}
	lk_got_nmods = w;
	lk_got_nrecs = wr;
}

static uint8_t lk_got_seen_buf[LK_GOT_MAX_MODS];

static void lk_got_pass(void)
{
	lk_got_seen = lk_got_seen_buf;
	memset(lk_got_seen_buf, 0, sizeof(lk_got_seen_buf));
	dl_iterate_phdr(lk_got_patch_cb, NULL);
	lk_got_compact();
}

int lk_got_patch_all(void)
{
	if (lk_got_init() < 0)
		return -1;
	lk_got_spin();
	lk_got_active = 1;
	lk_got_pass();
	uint32_t n = lk_got_nrecs;
	lk_got_unspin();
	return (int)n;
}

void lk_got_poll(void)
{
	if (!__atomic_load_n(&lk_got_active, __ATOMIC_ACQUIRE))
		return;
	/* Only if free: a library's constructor that dlopens (a thread holding the loader's
	 * lock) must never wait for a pass that waits for that lock. A pass skipped is made by
	 * the writer's next one. */
	if (__atomic_exchange_n(&lk_got_lock, 1, __ATOMIC_ACQUIRE))
		return;
	int depth = lk_guard_depth;
	lk_guard_depth = 1;
	if (lk_got_active)
		lk_got_pass();
	lk_got_unspin();
	lk_guard_restore(depth);
}

static int lk_got_restore_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	lk_got_mod_t *m = lk_got_mod_find(info->dlpi_addr, info->dlpi_phdr);
	if (!m)
		return 0;
	lk_got_elf_t e = {.relro_lo = m->relro_lo, .relro_hi = m->relro_hi};
	for (uint32_t k = m->first; k < m->first + m->n; k++) {
		lk_got_rec_t *r = &lk_got_recs[k];
		if (__atomic_load_n(r->slot, __ATOMIC_ACQUIRE) == lk_got_hook[r->name])
			lk_got_write(&e, r->slot, r->old);
	}
	m->n = 0;
	return 0;
}

int lk_got_restore_all(void)
{
	if (!lk_got_ready)
		return 0;
	/* Bounded: the writer may be inside a pass (holding this and the loader's lock) and be
	 * kept stopped by a tracer; then the caller says so and is asked again. */
	uint64_t deadline = lk_now_ns() + 1000000000u;
	while (__atomic_exchange_n(&lk_got_lock, 1, __ATOMIC_ACQUIRE)) {
		if (lk_now_ns() >= deadline)
			return -ETIMEDOUT;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
		nanosleep(&ts, NULL);
	}
	uint32_t n = lk_got_nrecs;
	lk_got_active = 0;
	dl_iterate_phdr(lk_got_restore_cb, NULL);
	lk_got_nmods = lk_got_nrecs = 0;
	lk_got_unspin();
	return (int)n;
}

int lk_got_active_slots(void)
{
	return (int)__atomic_load_n(&lk_got_nrecs, __ATOMIC_RELAXED);
}

/* ---- modules loaded while attached ---- */

static void lk_got_after_load(void)
{
	if (!__atomic_load_n(&lk_got_active, __ATOMIC_ACQUIRE))
		return;
	lk_got_poll();
}

static void *lk_got_dlopen(const char *file, int mode)
{
	void *h = lk_got_real_dlopen ? lk_got_real_dlopen(file, mode) : NULL;
	if (h) {
		int saved = errno;
		lk_got_after_load();
		errno = saved;
	}
	return h;
}

static void *lk_got_dlmopen(Lmid_t lmid, const char *file, int mode)
{
	void *h = lk_got_real_dlmopen ? lk_got_real_dlmopen(lmid, file, mode) : NULL;
	if (h) {
		int saved = errno;
		lk_got_after_load();
		errno = saved;
	}
	return h;
}
