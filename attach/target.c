/* SPDX-License-Identifier: MIT */
/* target.c - what leak-attach learns about a target before touching it: /proc/PID/status,
 * stat, maps and exe, and the dynamic symbol tables of its modules read from their files.
 * Every refusal case is decided here, from reads only: a refused target never sees ptrace. */
#include "attach.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	while (got + 1 < len) {
		ssize_t r = read(fd, buf + got, len - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = 0;
	return (int)got;
}

/* The value after "KEY:\t" in a /proc status file, or NULL. */
static const char *status_field(const char *status, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);
	for (const char *p = status; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
			p += kl + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			size_t n = strcspn(p, "\n");
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, p, n);
			out[n] = 0;
			return out;
		}
	}
	return NULL;
}

int target_read(pid_t pid, uintptr_t addr, void *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = pread(fd, buf, len, (off_t)addr);
	int e = errno;
	close(fd);
	errno = e;
	return r == (ssize_t)len ? 0 : -1;
}

int target_write(pid_t pid, uintptr_t addr, const void *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = pwrite(fd, buf, len, (off_t)addr);
	int e = errno;
	close(fd);
	errno = e;
	return r == (ssize_t)len ? 0 : -1;
}

int target_thread_sigpending(pid_t pid, pid_t tid)
{
	char path[96], buf[4096], v[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (read_small(path, buf, sizeof buf) <= 0)
		return 1; /* cannot tell: assume a signal, so we change nothing */
	unsigned long long pnd = 0, shd = 0, blk = 0;
	if (status_field(buf, "SigPnd", v, sizeof v))
		pnd = strtoull(v, NULL, 16);
	if (status_field(buf, "ShdPnd", v, sizeof v))
		shd = strtoull(v, NULL, 16);
	if (status_field(buf, "SigBlk", v, sizeof v))
		blk = strtoull(v, NULL, 16);
	return ((pnd | shd) & ~blk) != 0;
}

int target_thread_exiting(pid_t pid, pid_t tid)
{
	char path[96], buf[4096], v[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (read_small(path, buf, sizeof buf) <= 0)
		return 1; /* gone */
	return status_field(buf, "State", v, sizeof v) && (v[0] == 'Z' || v[0] == 'X');
}

/* A path this process can open for the module mapped at LO-HI: map_files works across mount
 * namespaces and for deleted files; /proc/PID/root/PATH and PATH are the fall-backs. */
static void module_readable(pid_t pid, struct at_module *m, uintptr_t lo, uintptr_t hi)
{
	snprintf(m->readable, sizeof m->readable, "/proc/%d/map_files/%lx-%lx", (int)pid,
	         (unsigned long)lo, (unsigned long)hi);
	if (access(m->readable, R_OK) == 0)
		return;
	snprintf(m->readable, sizeof m->readable, "/proc/%d/root%s", (int)pid, m->path);
	if (access(m->readable, R_OK) == 0)
		return;
	snprintf(m->readable, sizeof m->readable, "%s", m->path);
}

/* p_vaddr of the first PT_LOAD, page-aligned down: subtracted from the offset-0 mapping's
 * start to get the load bias. -1 when the file is not a readable 64-bit ELF. */
static long long first_load_vaddr(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	Elf64_Ehdr eh;
	long long res = -1;
	if (pread(fd, &eh, sizeof eh, 0) == sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) !=
			    sizeof ph)
				break;
			if (ph.p_type == PT_LOAD) {
				res = (long long)(ph.p_vaddr & ~(Elf64_Addr)0xfff);
				break;
			}
		}
	}
	close(fd);
	return res;
}

int target_find_module(pid_t pid, const char *prefix, struct at_module *m)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	memset(m, 0, sizeof *m);
	char line[4400];
	uintptr_t off0_lo = 0, off0_hi = 0;
	int found = 0;
	size_t pl = strlen(prefix);
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi, off, ino;
		unsigned maj, min;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &lo, &hi, perms, &off, &maj, &min,
		           &ino, &pos) < 7 ||
		    pos == 0)
			continue;
		char *p = line + pos;
		p[strcspn(p, "\n")] = 0;
		if (*p != '/')
			continue;
		const char *base = strrchr(p, '/') + 1;
		if (strncmp(base, prefix, pl) != 0)
			continue;
		/* A module's name continues with ".so" or "-" (libc.so.6, libc-2.31.so,
		 * libleak.so). */
		if (base[pl] != '.' && base[pl] != '-' && base[pl] != 0)
			continue;
		if (found && strcmp(m->path, p) != 0 && !(strstr(p, " (deleted)") && m->deleted))
			continue; /* another file of the same name: keep the first */
		if (!found) {
			snprintf(m->path, sizeof m->path, "%s", p);
			char *d = strstr(m->path, " (deleted)");
			if (d) {
				*d = 0;
				m->deleted = 1;
			}
			m->lo = lo;
			m->dev = makedev(maj, min);
			m->ino = ino;
			found = 1;
		}
		if (lo < m->lo)
			m->lo = lo;
		if (hi > m->hi)
			m->hi = hi;
		if (off == 0 && !off0_lo) {
			off0_lo = lo;
			off0_hi = hi;
		}
	}
	fclose(f);
	if (!found || !off0_lo)
		return -1;
	module_readable(pid, m, off0_lo, off0_hi);
	long long v = first_load_vaddr(m->readable);
	if (v < 0)
		v = 0;
	m->base = off0_lo - (uintptr_t)v;
	return 0;
}

uintptr_t target_sym(const struct at_module *m, const char *name)
{
	int fd = open(m->readable, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	uintptr_t res = 0;
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return 0;
	}
	size_t size = (size_t)st.st_size;
	unsigned char *img = malloc(size);
	if (!img || pread(fd, img, size, 0) != (ssize_t)size)
		goto out;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
		goto out;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(img + eh->e_shoff);
	const Elf64_Shdr *dynsym = NULL, *versym = NULL;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type == SHT_DYNSYM)
			dynsym = &sh[i];
		else if (sh[i].sh_type == SHT_GNU_versym)
			versym = &sh[i];
	}
	if (!dynsym || dynsym->sh_link >= eh->e_shnum || dynsym->sh_offset + dynsym->sh_size > size)
		goto out;
	const Elf64_Shdr *strs = &sh[dynsym->sh_link];
	if (strs->sh_offset + strs->sh_size > size)
		goto out;
	const Elf64_Sym *syms = (const Elf64_Sym *)(img + dynsym->sh_offset);
	size_t nsym = dynsym->sh_size / sizeof(Elf64_Sym);
	const char *str = (const char *)(img + strs->sh_offset);
	const Elf64_Half *ver = NULL;
	if (versym && versym->sh_offset + nsym * sizeof(Elf64_Half) <= size)
		ver = (const Elf64_Half *)(img + versym->sh_offset);
	for (size_t i = 1; i < nsym; i++) {
		if (syms[i].st_shndx == SHN_UNDEF || syms[i].st_name >= strs->sh_size)
			continue;
		if (ELF64_ST_TYPE(syms[i].st_info) != STT_FUNC &&
		    ELF64_ST_TYPE(syms[i].st_info) != STT_OBJECT &&
		    ELF64_ST_TYPE(syms[i].st_info) != STT_GNU_IFUNC)
			continue;
		if (strcmp(str + syms[i].st_name, name) != 0)
			continue;
		/* dlopen@GLIBC_2.2.5 is a hidden compat version beside dlopen@@GLIBC_2.34. */
		if (ver && ((ver[i] & 0x8000) || ver[i] == 0))
			continue;
		res = m->base + syms[i].st_value;
		break;
	}
out:
	free(img);
	close(fd);
	return res;
}

/* The ELF header and PT_INTERP of /proc/PID/exe: -1 unreadable, else fills the three flags. */
static int exe_kind(pid_t pid, int *is64, int *machine, int *has_interp)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	unsigned char id[EI_NIDENT];
	int rc = -1;
	if (pread(fd, id, sizeof id, 0) != sizeof id || memcmp(id, ELFMAG, SELFMAG) != 0)
		goto out;
	*is64 = id[EI_CLASS] == ELFCLASS64;
	*has_interp = 0;
	if (!*is64) {
		Elf32_Ehdr e32;
		if (pread(fd, &e32, sizeof e32, 0) == sizeof e32)
			*machine = e32.e_machine;
		rc = 0;
		goto out;
	}
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof eh, 0) != sizeof eh)
		goto out;
	*machine = eh.e_machine;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != sizeof ph)
			break;
		if (ph.p_type == PT_INTERP)
			*has_interp = 1;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* 1 when a file mapped in PID has WORD in its path (the first such path goes to OUT). */
static int maps_path_with(pid_t pid, const char *word, char *out, size_t outlen)
{
	char path[64], line[4400];
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int found = 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *p = strchr(line, '/');
		if (p && strstr(p, word)) {
			p[strcspn(p, "\n")] = 0;
			snprintf(out, outlen, "%.*s", (int)(outlen - 1), p);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* 1 when /proc/PID/environ starts the program with libleak in LD_PRELOAD. */
static int preloaded_with_libleak(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	static char env[1 << 18];
	ssize_t n = read(fd, env, sizeof env - 1);
	close(fd);
	if (n <= 0)
		return 0;
	env[n] = 0;
	for (char *p = env; p < env + n; p += strlen(p) + 1)
		if (strncmp(p, "LD_PRELOAD=", 11) == 0 && strstr(p, "libleak"))
			return 1;
	return 0;
}

/* 1 when the two processes share one address space (a vfork child and its parent). */
static int same_vm(pid_t a, pid_t b)
{
	return syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0) == 0;
}

static int in_vfork(pid_t pid, pid_t ppid, char *why, size_t whylen)
{
	if (ppid > 1 && same_vm(pid, ppid)) {
		snprintf(why, whylen,
		         "%d is a vfork child (it shares its parent's memory until it execs or "
		         "exits): attaching would write into the parent; attach after the exec",
		         (int)pid);
		return 1;
	}
	/* The other side: a thread waiting for its vfork child (any thread can vfork). */
	char path[96], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	struct dirent *e;
	int found = 0;
	while (!found && d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%.20s/children", (int)pid, e->d_name);
		if (read_small(path, buf, sizeof buf) <= 0)
			continue;
		for (char *p = buf; *p && !found;) {
			char *end;
			long c = strtol(p, &end, 10);
			if (end == p)
				break;
			if (c > 0 && same_vm(pid, (pid_t)c)) {
				snprintf(
				    why, whylen,
				    "%d is waiting in vfork for child %ld (they share memory): "
				    "attach after the child execs or exits",
				    (int)pid, c);
				found = 1;
			}
			p = end;
		}
	}
	if (d)
		closedir(d);
	return found;
}

static int yama_refuses(pid_t pid, char *why, size_t whylen)
{
	char buf[16];
	if (read_small("/proc/sys/kernel/yama/ptrace_scope", buf, sizeof buf) <= 0)
		return 0;
	int scope = atoi(buf);
	if (scope == 3) {
		snprintf(why, whylen,
		         "ptrace is disabled on this system (kernel.yama.ptrace_scope=3, only a "
		         "reboot changes it): cannot attach to %d",
		         (int)pid);
		return 1;
	}
	/* Scopes 1 and 2 let CAP_SYS_PTRACE through; the seize itself tells (EPERM). */
	return 0;
}

int target_inspect(pid_t pid, struct at_target *t, char *why, size_t whylen)
{
	memset(t, 0, sizeof *t);
	t->pid = pid;
	char path[96], status[8192], v[256], stat[1024];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (read_small(path, status, sizeof status) <= 0) {
		snprintf(why, whylen, "no process %d", (int)pid);
		return -1;
	}
	if (status_field(status, "Name", v, sizeof v))
		snprintf(t->comm, sizeof t->comm, "%.63s", v);
	if (status_field(status, "Tgid", v, sizeof v) && atoi(v) != pid) {
		snprintf(why, whylen, "%d is a thread of process %s: give the process id", (int)pid,
		         v);
		return -1;
	}
	if (status_field(status, "Uid", v, sizeof v))
		t->uid = (uid_t)strtoul(v, NULL, 10);
	if (status_field(status, "Gid", v, sizeof v))
		t->gid = (gid_t)strtoul(v, NULL, 10);
	if (pid == getpid()) {
		snprintf(why, whylen, "cannot attach to itself");
		return -1;
	}
	status_field(status, "State", v, sizeof v);
	char state0 = v[0];
	if (v[0] == 'Z' || v[0] == 'X') {
		snprintf(why, whylen, "%d (%s) has exited (%s): nothing to attach to", (int)pid,
		         t->comm, v);
		return -1;
	}
	if (status_field(status, "TracerPid", v, sizeof v) && atoi(v) != 0) {
		char tp[96], tcomm[64] = "?";
		snprintf(tp, sizeof tp, "/proc/%d/comm", atoi(v));
		if (read_small(tp, tcomm, sizeof tcomm) > 0)
			tcomm[strcspn(tcomm, "\n")] = 0;
		snprintf(why, whylen,
		         "%d (%s) is already traced by process %s (%s): a process has one tracer; "
		         "detach that one first",
		         (int)pid, t->comm, v, tcomm);
		return -1;
	}
	/* stat field 9 (flags): PF_EXITING while the process is on its way out. */
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_small(path, stat, sizeof stat) > 0) {
		char *rp = strrchr(stat, ')');
		unsigned long flags = 0;
		int ppid = 0;
		if (rp && sscanf(rp + 2, "%*c %d %*d %*d %*d %*d %lu", &ppid, &flags) == 2) {
			if (flags & 0x4) {
				snprintf(why, whylen, "%d (%s) is exiting: nothing to attach to",
				         (int)pid, t->comm);
				return -1;
			}
			if (in_vfork(pid, ppid, why, whylen))
				return -1;
		}
	}
	if (yama_refuses(pid, why, whylen))
		return -1;

	int is64 = 0, machine = 0, interp = 0;
	if (exe_kind(pid, &is64, &machine, &interp) != 0) {
		snprintf(why, whylen,
		         "cannot read /proc/%d/exe (%s): not permitted to attach to %d (%s) "
		         "(another user's process needs root or CAP_SYS_PTRACE)",
		         (int)pid, strerror(errno), (int)pid, t->comm);
		return -1;
	}
	if (!is64 || machine != EM_X86_64) {
		snprintf(
		    why, whylen,
		    "%d (%s) is not an x86-64 program (ELF machine %d%s): leak-attach supports "
		    "x86-64 only",
		    (int)pid, t->comm, machine, is64 ? "" : ", 32-bit");
		return -1;
	}
	int have_libc = target_find_module(pid, "libc", &t->libc) == 0 &&
	                strncmp(strrchr(t->libc.path, '/') + 1, "libc.so.6", 9) == 0;
	int have_ld = target_find_module(pid, "ld-linux-x86-64", &t->ld) == 0;
	char musl[512];
	/* musl's loader is ld-musl-x86_64.so.1, a link to .../x86_64-linux-musl/libc.so (Debian)
	 * or libc.musl-x86_64.so.1 (Alpine): what maps shows is the target of the link. */
	if (!have_libc && (maps_path_with(pid, "/ld-musl-", musl, sizeof musl) ||
	                   maps_path_with(pid, "-linux-musl/", musl, sizeof musl) ||
	                   maps_path_with(pid, "/libc.musl-", musl, sizeof musl))) {
		snprintf(why, whylen,
		         "%d (%s) runs on musl libc (%s), not glibc: libleak works with glibc only",
		         (int)pid, t->comm, musl);
		return -1;
	}
	if (!interp && !have_ld) {
		snprintf(why, whylen,
		         "%d (%s) is statically linked: there is no dynamic loader in it to load "
		         "libleak.so (run it under LD_PRELOAD after relinking it dynamically)",
		         (int)pid, t->comm);
		return -1;
	}
	if (!have_libc && have_ld) {
		snprintf(why, whylen,
		         "%d (%s) is stopped in the dynamic loader before libc is loaded: let it "
		         "start first (kill -CONT %d), then attach",
		         (int)pid, t->comm, (int)pid);
		return -1;
	}
	if (!have_libc) {
		snprintf(why, whylen,
		         "%d (%s) has no glibc (libc.so.6) mapped: not a glibc program", (int)pid,
		         t->comm);
		return -1;
	}
	if (state0 == 'T' || state0 == 't') {
		snprintf(why, whylen,
		         "%d (%s) is stopped (job control): continue it first (kill -CONT %d)",
		         (int)pid, t->comm, (int)pid);
		return -1;
	}
	/* libc is initialised once __libc_early_init/_init set environ; before that the loader
	 * is still relocating and dlopen is not usable. */
	uintptr_t envp_addr = 0;
	char exe[4096];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	ssize_t el = readlink(path, exe, sizeof exe - 1);
	struct at_module exem;
	if (el > 0) {
		/* A program that uses environ has its own copy (a copy relocation): that one. */
		exe[el] = 0;
		char *d = strstr(exe, " (deleted)");
		if (d)
			*d = 0;
		const char *eb = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
		if (target_find_module(pid, eb, &exem) == 0)
			envp_addr = target_sym(&exem, "__environ") ?: target_sym(&exem, "environ");
	}
	if (!envp_addr)
		envp_addr = target_sym(&t->libc, "__environ");
	uintptr_t envp = 0;
	if (envp_addr && target_read(pid, envp_addr, &envp, sizeof envp) == 0 && envp == 0) {
		snprintf(
		    why, whylen,
		    "%d (%s) is still in the dynamic loader (libc not initialised yet): attach "
		    "after it has started",
		    (int)pid, t->comm);
		return -1;
	}
	if (!target_sym(&t->libc, "dlopen") && !target_sym(&t->libc, "__libc_dlopen_mode")) {
		snprintf(why, whylen, "%s in %d exports neither dlopen nor __libc_dlopen_mode",
		         t->libc.path, (int)pid);
		return -1;
	}
	if (target_find_module(pid, "libleak", &t->leak) == 0 && preloaded_with_libleak(pid)) {
		snprintf(
		    why, whylen,
		    "%d (%s) already runs libleak (started with LD_PRELOAD=...libleak.so): its "
		    "traces are already being written",
		    (int)pid, t->comm);
		return -1;
	}
	char ns_self[64] = "", ns_t[64] = "";
	snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
	ssize_t a = readlink("/proc/self/ns/mnt", ns_self, sizeof ns_self - 1);
	ssize_t b = readlink(path, ns_t, sizeof ns_t - 1);
	t->other_mntns = a > 0 && b > 0 && strcmp(ns_self, ns_t) != 0;
	return 0;
}
