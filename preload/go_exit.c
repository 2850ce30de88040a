/* SPDX-License-Identifier: MIT */
/* go_exit.c - the way out of a Go program (with cgo, so dynamically linked and preloaded):
 * Go's runtime ends the process with its own exit_group system call, never through libc, so
 * no hook sees it. In a Go executable (its "Go" build-id note), the constructor finds
 * runtime.exit by its exact code (MOVL code+0(FP), DI; MOVL $231, AX; SYSCALL; RET, the same
 * since Go 1.0) in the executable's text and replaces it with a jump to lk_go_exit_entry,
 * which leaves the goroutine's small stack for one of ours, writes the final snapshot with
 * the status and makes the exit_group itself. Nothing else of Go is touched; where the code is
 * not found exactly once, or the text cannot be made writable, nothing is patched and the
 * trace keeps its last periodic snapshot. x86-64 only. */
#include "go_exit.h"
#include "fd_cwd.h"
#include "emit.h"
#include "guard.h"
#include "interpose_exit.h"
#include "reach.h"
#include "sys.h"
#include "trace_format.h"

#include <elf.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)

#define LK_GO_STACK (8u << 20) /* the final snapshot's stack: the exit scan recurses */

static const unsigned char lk_go_exit_code[12] = {0x8b, 0x7c, 0x24, 0x08, /* mov 8(%rsp),%edi */
                                                  0xb8, 0xe7, 0x00, 0x00, 0x00, /* mov $231 */
                                                  0x0f, 0x05,                   /* syscall */
                                                  0xc3};                        /* ret */

__attribute__((used, visibility("hidden"))) uintptr_t lk_go_stack_top;
__attribute__((used, visibility("hidden"))) int lk_go_exit_busy;
__attribute__((used, visibility("hidden"), noreturn)) void lk_go_exit(int status);
void lk_go_exit_entry(void);

/* Entered by a jump from runtime.exit, the status at 8(%rsp) (Go's ABI0). The first caller
 * takes our stack; a second one (two goroutines exiting at once) waits for the first to end
 * the process. */
__asm__(".text\n"
        ".type lk_go_exit_entry,@function\n"
        ".p2align 4\n"
        "lk_go_exit_entry:\n"
        "	movl 8(%rsp), %edi\n"
        "	movl $1, %eax\n"
        "	xchgl %eax, lk_go_exit_busy(%rip)\n"
        "	testl %eax, %eax\n"
        "	jnz 2f\n"
        "	movq lk_go_stack_top(%rip), %rsp\n"
        "	xorl %ebp, %ebp\n"
        "	call lk_go_exit\n"
        "	hlt\n"
        "2:	pause\n"
        "	jmp 2b\n"
        ".size lk_go_exit_entry, .-lk_go_exit_entry\n");

void lk_go_exit(int status)
{
	sigset_t all;
	sigfillset(&all); /* Go's handlers expect a goroutine's stack */
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof(long));
	if (lk_ready && !lk_disabled && !lk_guard_depth) {
		lk_reach_exit_from = lk_reach_sp();
		lk_exit_status = status;
		lk_guard_depth = 1;
		lk_writer_sync(1, TRACE_END_EXIT, status);
		lk_guard_depth = 0;
	}
	for (;;)
		syscall(SYS_exit_group, status);
}

/* True if the executable carries Go's build-id note (name "Go", NUL-padded; type 4). */
static int lk_go_is_go(const ElfW(Phdr) * ph, size_t n, uintptr_t bias)
{
	for (size_t i = 0; i < n; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		const unsigned char *p = (const unsigned char *)(bias + ph[i].p_vaddr);
		const unsigned char *end = p + ph[i].p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
			const unsigned char *name = p + sizeof(*nh);
			size_t nlen = (nh->n_namesz + 3u) & ~3u, dlen = (nh->n_descsz + 3u) & ~3u;
			if ((nh->n_namesz == 3 || nh->n_namesz == 4) && nh->n_type == 4 &&
			    memcmp(name, "Go", 3) == 0)
				return 1;
			p = name + nlen + dlen;
		}
	}
	return 0;
}

/* The one 16-byte-aligned copy of runtime.exit's code in the executable's text, or 0. */
static uintptr_t lk_go_find_exit(const ElfW(Phdr) * ph, size_t n, uintptr_t bias)
{
	uintptr_t found = 0;
	for (size_t i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X))
			continue;
		uintptr_t a = (bias + ph[i].p_vaddr + 15) & ~(uintptr_t)15;
		uintptr_t end = bias + ph[i].p_vaddr + ph[i].p_filesz;
		for (; a + sizeof(lk_go_exit_code) <= end; a += 16) {
			if (memcmp((const void *)a, lk_go_exit_code, sizeof(lk_go_exit_code)) != 0)
				continue;
			if (found)
				return 0; /* not unique: leave Go alone */
			found = a;
		}
	}
	return found;
}

void lk_go_exit_install(void)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	size_t n = (size_t)getauxval(AT_PHNUM);
	if (!ph || !n)
		return;
	uintptr_t bias = 0;
	for (size_t i = 0; i < n; i++)
		if (ph[i].p_type == PT_PHDR)
			bias = (uintptr_t)ph - ph[i].p_vaddr;
	if (!lk_go_is_go(ph, n, bias))
		return;
	lk_fd_cwd_disable(); /* Go changes directory with its own system calls, no hook sees */
	uintptr_t at = lk_go_find_exit(ph, n, bias);
	if (!at)
		return;
	unsigned char *stack = lk_sys_mmap(LK_GO_STACK);
	if (!stack)
		return;
	lk_go_stack_top = ((uintptr_t)stack + LK_GO_STACK) & ~(uintptr_t)15;
	/* movabs $lk_go_exit_entry, %rax; jmp *%rax: 12 bytes, runtime.exit's whole body. */
	unsigned char jump[12] = {0x48, 0xb8};
	uintptr_t target = (uintptr_t)&lk_go_exit_entry;
	memcpy(jump + 2, &target, 8);
	jump[10] = 0xff;
	jump[11] = 0xe0;
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t first = at & ~(uintptr_t)(page - 1);
	size_t len = (at + sizeof(jump) - first + (size_t)page - 1) & ~(size_t)(page - 1);
	/* Writable without execute while the constructor (single-threaded) patches. */
	if (mprotect((void *)first, len, PROT_READ | PROT_WRITE) != 0) {
		lk_sys_munmap(stack, LK_GO_STACK);
		return;
	}
	memcpy((void *)at, jump, sizeof(jump));
	mprotect((void *)first, len, PROT_READ | PROT_EXEC);
}

#else
void lk_go_exit_install(void)
{
}
#endif
