/* SPDX-License-Identifier: MIT */
/* reach.c - the exit-time reachability scan (reach.h): finds the roots and feeds them to the
 * mark engine (reach_mark.c), so the report can tell a leak (nothing points to it any more)
 * from memory a global or a live stack still holds.
 *
 * Roots: the writable PT_LOAD segments (data, bss) of every module but libleak itself (its
 * tables would make everything reachable); the calling thread's stack, from the latest of its
 * exit point (lk_reach_exit_from), the final snapshot's entry (lk_reach_stack_from) and the
 * scan's own frame, to the end of the mapping holding it; and each other thread's stack from
 * 128 bytes below its stack pointer, which /proc/self/task/TID/syscall gives only while the
 * thread sits in a system call: a thread that is running is not scanned. Not seen: registers
 * of other threads, the main thread's static TLS, memory from allocators libleak does not
 * track. All memory is mmap'd; nothing here calls malloc or stdio. */
#include "reach.h"
#include "reach_mark.h"
#include "reach_proc.h"

#include <fcntl.h>
#include <link.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"

__thread uintptr_t lk_reach_stack_from __attribute__((tls_model("initial-exec")));
__thread uintptr_t lk_reach_exit_from __attribute__((tls_model("initial-exec")));

/* dl_iterate_phdr callback: one module's writable segments, unless it is libleak (arg is an
 * address inside libleak). */
static int lk_reach_phdr(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uintptr_t self = (uintptr_t)arg;
	/* Not libleak's own segments: its tables point at every block. */
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t s = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && self >= s && self < s + ph->p_memsz)
			return 0;
	}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W))
			lk_reach_mark_range(info->dlpi_addr + ph->p_vaddr, ph->p_memsz);
	}
	lk_reach_mark_drain();
	return 0;
}

struct lk_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* This thread's stack, then the stack of every other thread that sits in a system call. */
static void lk_reach_stacks(uintptr_t my_sp, char *maps, char *buf, size_t cap)
{
	pid_t me = lk_sys_gettid();
	uintptr_t s, e;
	if (lk_reach_proc_mapping(maps, my_sp, &s, &e) == 0) {
		uintptr_t from = my_sp;
		/* Later starts where set and on this stack (not on a signal stack). */
		if (lk_reach_stack_from > from && lk_reach_stack_from < e)
			from = lk_reach_stack_from;
		if (lk_reach_exit_from > from && lk_reach_exit_from < e)
			from = lk_reach_exit_from;
		lk_reach_mark_range(from, e - from);
	}
	int fd = lk_sys_open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return;
	char dents[4096];
	long nread;
	while ((nread = syscall(SYS_getdents64, fd, dents, sizeof(dents))) > 0) {
		for (long off = 0; off < nread;) {
			struct lk_dirent64 *d = (struct lk_dirent64 *)(dents + off);
			off += d->d_reclen;
			const char *q = d->d_name;
			pid_t tid = 0;
			while (*q >= '0' && *q <= '9')
				tid = tid * 10 + (*q++ - '0');
			if (!tid || *q || tid == me)
				continue;
			uintptr_t sp = lk_reach_proc_thread_sp(tid, buf, cap);
			if (sp && lk_reach_proc_mapping(maps, sp, &s, &e) == 0) {
				/* The red zone below sp may hold live values too. */
				uintptr_t from = sp - 128 >= s ? sp - 128 : s;
				lk_reach_mark_range(from, e - from);
			}
			/* A running thread: its stack is unknown here (no sp); not scanned. */
			lk_reach_mark_drain();
		}
	}
	lk_sys_close(fd);
}

/* noinline, and the scan of this thread's stack starts at this frame's stack pointer: the
 * callee-saved registers __builtin_unwind_init spills into the frame are scanned too, so a
 * pointer a caller keeps in a register counts, and dead stack below is not. */
__attribute__((noinline)) static void lk_reach_roots(void)
{
	__builtin_unwind_init();
	uintptr_t my_sp = lk_reach_sp();
	/* /proc/self/maps and one /proc small file, in mmap'd buffers. */
	size_t maps_cap = 1u << 20, buf_cap = 4096;
	char *maps = lk_sys_mmap(maps_cap), *buf = lk_sys_mmap(buf_cap);
	long maps_len = maps ? lk_reach_proc_read("/proc/self/maps", maps, maps_cap) : -1;
	if (maps_len > 0 && (size_t)maps_len < maps_cap - 1)
		lk_reach_mark_set_maps(maps); /* whole: its holes may be trusted */
	dl_iterate_phdr(lk_reach_phdr, (void *)(uintptr_t)&lk_reach_roots);
	if (buf && maps_len > 0)
		lk_reach_stacks(my_sp, maps, buf, buf_cap);
	lk_reach_mark_drain();
	lk_reach_mark_set_maps(NULL);
	if (maps)
		lk_sys_munmap(maps, maps_cap);
	if (buf)
		lk_sys_munmap(buf, buf_cap);
}

int lk_reach_scan(void)
{
	size_t n;
	if (lk_reach_mark_begin(&n) != 0)
		return -1;
	if (n)
		lk_reach_roots();
	lk_reach_mark_end();
	return 0;
}

uint32_t lk_reach_flags(uintptr_t ptr)
{
	return lk_reach_mark_flags(ptr);
}

size_t lk_reach_foreach(void (*fn)(void *arg, uintptr_t ptr, uint64_t size, uint32_t stack_id,
                                   uint32_t flags),
                        void *arg)
{
	return lk_reach_mark_foreach(fn, arg);
}

void lk_reach_release(void)
{
	lk_reach_mark_release();
}
