/* SPDX-License-Identifier: MIT */
/* modules.c - module map for symbolization, and its MODULE/MODULE_UNLOAD records (libleak's
 * own mapping is flagged TRACE_MODULE_SELF).
 *
 * Every scan walks dl_iterate_phdr (mark) and flags modules not seen any more as unloaded
 * (sweep); the dlopen/dlclose hooks scan right after the real call, and the writer scans
 * again when a frame lies in no known module (a library's constructor allocates before dlopen
 * returns). Records live in one mmap'd array that only grows; paths are copied into it, so
 * nothing here allocates. A spinlock serializes scans and emission; it is never held across
 * a call into unknown code except dl_iterate_phdr itself, whose callback only copies. */
#include "fork_hot.h"
#include "modules.h"
#include "spin.h"
#include "sys.h"
#include "trace_clock.h"
#include "trace_codec.h"
#include "trace_format.h"

#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LK_MOD_MAX      8192
#define LK_MOD_PATH     512
#define LK_MOD_BUILD_ID 64

typedef struct {
	uintptr_t base, lo, hi;
	uint64_t t_ns, unload_ns;
	uint32_t id;
	uint32_t flags; /* MODULE.flags: TRACE_MODULE_SELF for libleak's own mapping */
	uint8_t loaded, emitted, unload_emitted, seen;
	uint32_t epoch; /* the trace (lk_mods_epoch) that emitted, t_ns and unload_* are of */
	uint32_t build_id_len;
	uint8_t build_id[LK_MOD_BUILD_ID];
	char path[LK_MOD_PATH];
} lk_module_t;

static lk_module_t *lk_mods;
static uint32_t lk_mods_n;
static int lk_mods_lock_word LK_FORK_HOT;
/* Bumped when a new trace begins (a forked child's, an attach window's): a module whose epoch
 * is older is brought up to it when next used (lk_mod_now), not all at once in every child,
 * where each module's page written would be a copy-on-write fault. */
static uint32_t lk_mods_epoch LK_FORK_WARM;
static char lk_exe_path[4096];
static char lk_cwd[LK_MOD_PATH]; /* relative dlpi_names (LD_PRELOAD=build/x.so) resolve here */

/* m as of the current trace: one that began after m was last used has none of it yet, and
 * there m was loaded from its start (t_ns 0). Under the modules' lock, or single-threaded. */
static lk_module_t *lk_mod_now(lk_module_t *m)
{
	if (m->epoch != lk_mods_epoch) {
		m->epoch = lk_mods_epoch;
		m->emitted = m->unload_emitted = 0;
		m->t_ns = m->unload_ns = 0;
	}
	return m;
}

void lk_modules_lock(void)
{
	lk_spin_lock(&lk_mods_lock_word);
}

void lk_modules_unlock(void)
{
	lk_spin_unlock(&lk_mods_lock_word);
}

const char *lk_modules_exe(void)
{
	return lk_exe_path;
}

/* Reads the GNU build-id from the object's PT_NOTE segments, in memory. */
static uint32_t lk_modules_build_id(const struct dl_phdr_info *info, uint8_t *out)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		const unsigned char *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			size_t namesz = (nh->n_namesz + 3) & ~3u, descsz = (nh->n_descsz + 3) & ~3u;
			const unsigned char *name = p + sizeof(*nh), *desc = name + namesz;
			if (desc + descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(name, "GNU", 4) == 0 && nh->n_descsz <= LK_MOD_BUILD_ID) {
				memcpy(out, desc, nh->n_descsz);
				return nh->n_descsz;
			}
			p = desc + descsz;
		}
	}
	return 0;
}

static int lk_modules_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;
		if (a < lo)
			lo = a;
		if (a + ph->p_memsz > hi)
			hi = a + ph->p_memsz;
	}
	if (hi == 0)
		return 0;
	const char *name = info->dlpi_name;
	if (!name || !*name)
		name = lk_exe_path; /* the main program (first entry) */
	else if (strncmp(name, "linux-vdso", 10) == 0 || strncmp(name, "linux-gate", 10) == 0)
		name = "[vdso]";
	for (uint32_t i = lk_mods_n; i-- > 0;) {
		lk_module_t *m = &lk_mods[i];
		if (m->loaded && m->base == info->dlpi_addr && m->lo == lo && m->hi == hi) {
			m->seen = 1;
			return 0;
		}
	}
	if (lk_mods_n >= LK_MOD_MAX)
		return 0;
	lk_module_t *m = &lk_mods[lk_mods_n];
	memset(m, 0, sizeof(*m));
	m->id = lk_mods_n + 1;
	m->base = info->dlpi_addr;
	m->lo = lo;
	m->hi = hi;
	m->t_ns = lk_clock_now();
	m->epoch = lk_mods_epoch;
	m->loaded = m->seen = 1;
	/* This very function lies in libleak's own mapping, whatever the file is called: the
	 * collector drops frames by this range, never by names. (Never the main program: were
	 * libleak linked into it, every frame of the program would go.) */
	uintptr_t self = (uintptr_t)&lk_modules_cb;
	if (name != lk_exe_path && self >= lo && self < hi)
		m->flags = TRACE_MODULE_SELF;
	size_t len = 0;
	if (name[0] != '/' && name[0] != '[' && lk_cwd[0]) {
		len = strnlen(lk_cwd, LK_MOD_PATH - 2);
		memcpy(m->path, lk_cwd, len);
		if (len > 1)
			m->path[len++] = '/';
		if (name[0] == '.' && name[1] == '/')
			name += 2;
	}
	size_t nlen = strnlen(name, LK_MOD_PATH - 1 - len);
	memcpy(m->path + len, name, nlen);
	m->path[len + nlen] = 0;
	m->build_id_len = lk_modules_build_id(info, m->build_id);
	__atomic_store_n(&lk_mods_n, lk_mods_n + 1, __ATOMIC_RELEASE);
	return 0;
}

int lk_modules_scan(void)
{
	int vanished = 0;
	if (!lk_mods)
		return 0;
	lk_modules_lock();
	for (uint32_t i = 0; i < lk_mods_n; i++)
		lk_mods[i].seen = 0;
	dl_iterate_phdr(lk_modules_cb, NULL);
	for (uint32_t i = 0; i < lk_mods_n; i++)
		if (!lk_mods[i].seen && lk_mods[i].loaded) {
			lk_mods[i].loaded = 0;
			lk_mod_now(&lk_mods[i])->unload_ns = lk_clock_now();
			vanished++;
		}
	lk_modules_unlock();
	return vanished;
}

void lk_modules_init(void)
{
	long n = syscall(SYS_readlink, "/proc/self/exe", lk_exe_path, sizeof(lk_exe_path) - 1);
	lk_exe_path[n > 0 ? n : 0] = 0;
	if (syscall(SYS_getcwd, lk_cwd, sizeof(lk_cwd)) < 0)
		lk_cwd[0] = 0;
	lk_mods = lk_sys_mmap(LK_MOD_MAX * sizeof(lk_module_t));
	lk_modules_scan();
}

bool lk_modules_contains(uintptr_t addr)
{
	uint32_t n = __atomic_load_n(&lk_mods_n, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++)
		if (lk_mods[i].loaded && addr >= lk_mods[i].lo && addr < lk_mods[i].hi)
			return true;
	return false;
}

void lk_modules_emit(trace_buf_t *b)
{
	if (!lk_mods)
		return;
	lk_modules_lock();
	for (uint32_t i = 0; i < lk_mods_n; i++) {
		lk_module_t *m = lk_mod_now(&lk_mods[i]);
		if (!m->emitted) {
			trace_enc_module(b, &(struct trace_rec_module){
			                        .id = m->id,
			                        .base = m->base,
			                        .lo = m->lo,
			                        .hi = m->hi,
			                        .t_ns = m->t_ns,
			                        .path = trace_cstr(m->path, LK_MOD_PATH),
			                        .build_id = {m->build_id, m->build_id_len},
			                        .flags = m->flags,
			                        .has_flags = true,
			                    });
			m->emitted = 1;
		}
	}
	for (uint32_t i = 0; i < lk_mods_n; i++) {
		lk_module_t *m = lk_mod_now(&lk_mods[i]);
		if (!m->loaded && !m->unload_emitted) {
			trace_enc_module_unload(b, &(struct trace_rec_module_unload){
			                               .id = m->id, .t_ns = m->unload_ns});
			m->unload_emitted = 1;
		}
	}
	lk_modules_unlock();
}

LK_FORK_TEXT void lk_modules_reset_emitted(void)
{
	lk_mods_epoch++;
}
