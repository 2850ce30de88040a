/* SPDX-License-Identifier: MIT */
/* reach_roots.c - one block (4242 bytes, allocated by make_marker) held at exit by exactly one
 * kind of root, LeakSanitizer's root-set scenarios as a plain program. The test
 * (test_reach_roots.sh) asserts the verdict libleak gives the block: reachable for
 *   reg          a general register (r13) of a thread spinning in inline asm
 *   xmm          an xmm register (xmm7) of a thread spinning in inline asm
 *   stack        the stack of a thread busy-looping (running, not in a system call)
 *   blocked      the stack of a thread blocked in pause()
 *   tls          static TLS (__thread) of the main thread
 *   tls_thread   static TLS of a running thread
 *   dtls LIB     dynamic TLS of a dlopen'd library (lib_reach_dtls.so)
 *   key_lo       a pthread key below 32 (the descriptor's first block)
 *   key_hi       a pthread key at 32 or above (a second-level array)
 *   pool         a pool over mmap (an anonymous mapping, not heap)
 *   pool_guard   the same, past a guard region at its start (reads in place fault there)
 *   pool_paged   an 8 KiB page header between two PROT_NONE guards, as V8's code pages
 *                have: a guard right below it, but too small to be a thread's stack
 *   pool_64m     a pool over mmap whose words at a 64 MiB boundary look, by their low bits,
 *                like a glibc heap's header (a count, a null pointer, two small sizes), as
 *                an interpreter's arena may: the marker 1 MiB past the boundary
 *   sigwait      the stack of a thread that blocks every signal (pthread_sigmask) and
 *                waits in sigwait, as a daemon's signal thread does: stopped through 33,
 *                and its sigwait never returns the stop signal (it says so on stderr)
 *   fork_held    a forked child's block held only by a heap block its parent allocated
 *                before the fork (a node linked into the parent's list), which the child's
 *                table does not hold
 *   fork_held_arena  the same, the parent's block allocated by a thread (another arena)
 * and leak for
 *   self         a block that points only to itself
 *   stale        a dead stack slot below main's frame (the pointer is gone from registers)
 *   stale_thread a dead stack slot below a running thread's stack pointer
 *   unaligned    a pointer stored at an odd offset of a global
 *   fork         a block lost in a forked child (the child's trace)
 * and reachable, in a partial scan, for
 *   rawmasked    a block lost while a thread that blocks every signal, libc's too (a raw
 *                rt_sigprocmask), spins: that thread cannot be stopped, its roots are
 *                unknown, so nothing is called a leak
 * and leak, in a complete scan, for
 *   masked       a block lost while a thread that blocks every signal pthread_sigmask can
 *                spins (workers of a daemon that takes signals in one thread)
 *   timer        a block lost while glibc's SIGEV_THREAD timer thread (every signal but
 *                33 blocked) waits for its timer
 *   starting     a block lost, then a detached thread created right before exit, the
 *                process on one CPU so that the thread has not run yet: glibc starts it
 *                with every signal blocked, and the scan waits for it to unblock them
 *   spawning F   a block lost while a thread is inside posix_spawn, every signal blocked
 *                (the child waits to open the FIFO F for reading), and a forked helper
 *                opens F for writing 30 ms into the exit: the scan waits for the thread
 * and reg again with the program's own handler on SIGRTMAX (own_rtmax): the scan must stop
 * the thread with another signal and never run the program's handler.
 * Every mode hands the block over through g_handoff, then clears it and scrubs the dead stack
 * below main, so that no other copy of the pointer is left. Built at -O2 by the Makefile and
 * at -O0 by the test. Usage: reach_roots MODE [LIB | FIFO] */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARKER_SIZE 4242

static const uint64_t all_bits = ~(uint64_t)0;

void *volatile g_handoff;
volatile int g_ready;
void *volatile g_pool;
void *volatile g_lib;
char g_bytes[32];
__thread void *volatile t_marker;

__attribute__((noinline)) void *make_marker(void)
{
	void *p = malloc(MARKER_SIZE);
	if (!p)
		abort();
	memset(p, 0x5a, MARKER_SIZE);
	return p;
}

__attribute__((noinline)) void handoff(void)
{
	g_handoff = make_marker();
}

/* Overwrites the dead stack below the caller, and the scratch registers with it. */
__attribute__((noinline)) int scrub(void)
{
	volatile char buf[16384];
	memset((char *)buf, 0, sizeof(buf));
	return buf[100];
}

__attribute__((noinline)) void wait_ready(void)
{
	while (!g_ready)
		usleep(1000);
}

#if defined(__x86_64__)
static void *spin_reg(void *arg)
{
	(void)arg;
	__asm__ volatile("movq (%0), %%r13\n\t"
	                 "movq $0, (%0)\n\t"
	                 "movl $1, (%1)\n\t"
	                 "1: pause\n\t"
	                 "jmp 1b\n\t"
	                 :
	                 : "r"(&g_handoff), "r"(&g_ready)
	                 : "r13", "memory");
	__builtin_unreachable();
}

static void *spin_xmm(void *arg)
{
	(void)arg;
	__asm__ volatile("movq (%0), %%xmm7\n\t"
	                 "movq $0, (%0)\n\t"
	                 "movl $1, (%1)\n\t"
	                 "1: pause\n\t"
	                 "jmp 1b\n\t"
	                 :
	                 : "r"(&g_handoff), "r"(&g_ready)
	                 : "xmm7", "memory");
	__builtin_unreachable();
}
#endif

static void *spin_stack(void *arg)
{
	(void)arg;
	volatile uintptr_t slots[8];
	slots[3] = (uintptr_t)g_handoff;
	g_handoff = NULL;
	g_ready = 1;
	for (;;)
		slots[0]++;
	return NULL;
}

static void *block_stack(void *arg)
{
	(void)arg;
	volatile uintptr_t slots[8];
	slots[3] = (uintptr_t)g_handoff;
	g_handoff = NULL;
	g_ready = 1;
	for (;;)
		pause();
	return (void *)slots[3];
}

static void *spin_tls(void *arg)
{
	(void)arg;
	t_marker = g_handoff;
	g_handoff = NULL;
	scrub();
	g_ready = 1;
	for (volatile unsigned long n = 0;; n++)
		;
	return NULL;
}

/* Leaves the pointer in a slot deep below the caller's frame, and nowhere else. */
__attribute__((noinline)) void stale_fill(void)
{
	volatile uintptr_t deep[512];
	for (int i = 0; i < 512; i++)
		deep[i] = 0;
	deep[8] = (uintptr_t)make_marker(); /* the deep end: 4 KiB below the caller */
}

/* Clears the scratch registers, general and vector: libc's and libleak's copies of the
 * pointer (memset's arguments, a record copied through a vector register) stay there. */
__attribute__((noinline)) void clear_regs(void)
{
#if defined(__x86_64__)
	__asm__ volatile("xor %%eax, %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
	                 "xor %%esi, %%esi\n\txor %%edi, %%edi\n\txor %%r8d, %%r8d\n\t"
	                 "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\txor %%r11d, %%r11d\n\t"
	                 :
	                 :
	                 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11");
	if (__builtin_cpu_supports("avx"))
		__asm__ volatile("vzeroall" ::
		                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		                       "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
		                       "xmm14", "xmm15");
	else
		__asm__ volatile(
		    "pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\tpxor %%xmm2, %%xmm2\n\t"
		    "pxor %%xmm3, %%xmm3\n\tpxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
		    "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7\n\t"
		    :
		    :
		    : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");
#endif
}

static void *masked_thread(void *arg)
{
	sigset_t all;
	sigfillset(&all);
	if (arg) /* every signal, libc's 32 and 33 too: only a raw system call can */
		syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all_bits, NULL, sizeof(all_bits));
	else
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	g_ready = 1;
	for (volatile unsigned long n = 0;; n++)
		;
	return NULL;
}

static void *sigwait_stack(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	volatile uintptr_t slots[8];
	slots[3] = (uintptr_t)g_handoff;
	g_handoff = NULL;
	g_ready = 1;
	for (;;) {
		int sig;
		if (sigwait(&all, &sig) == 0) /* the program's own signal: nothing sends one */
			fprintf(stderr, "sigwait returned signal %d\n", sig);
	}
	return (void *)slots[3];
}

static void on_timer(union sigval v)
{
	(void)v;
}

/* A SIGEV_THREAD timer that never fires before exit: glibc's helper thread waits for it. */
static void start_timer(void)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_notify_function = on_timer;
	timer_t id;
	if (timer_create(CLOCK_MONOTONIC, &ev, &id) != 0)
		abort();
	struct itimerspec its = {{0, 0}, {3600, 0}};
	if (timer_settime(id, 0, &its, NULL) != 0)
		abort();
	struct timespec ms20 = {0, 20000000};
	nanosleep(&ms20, NULL); /* the helper thread is waiting by now */
}

static void *idle_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void own_handler(int sig)
{
	(void)sig;
	static const char msg[] = "own SIGRTMAX handler ran\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
}

static void *stale_thread(void *arg)
{
	(void)arg;
	stale_fill();
	scrub();
	clear_regs();
	g_ready = 1;
	for (volatile unsigned long n = 0;; n++)
		;
	return NULL;
}

__attribute__((noinline)) void lose_self(void)
{
	void **p = make_marker();
	*p = p;
}

__attribute__((noinline)) void lose_unaligned(void)
{
	uintptr_t v = (uintptr_t)make_marker();
	memcpy(g_bytes + 3, &v, sizeof(v));
}

__attribute__((noinline)) void lose_plain(void)
{
	void *volatile p = make_marker();
	p = NULL;
}

/* fork_held: a global points to a block the parent allocates; the child hangs the marker on
 * it. */
void **volatile g_parent_list;

static void *alloc_list(void *arg)
{
	(void)arg;
	g_parent_list = calloc(4, sizeof(void *));
	if (!g_parent_list)
		abort();
	return NULL;
}

__attribute__((noinline)) void fork_hold(int in_thread)
{
	pthread_t t;
	if (!in_thread)
		alloc_list(NULL);
	else if (pthread_create(&t, NULL, alloc_list, NULL) != 0 || pthread_join(t, NULL) != 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		g_parent_list[2] = make_marker();
		scrub();
		exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
}

__attribute__((noinline)) void tls_set(void)
{
	t_marker = make_marker();
}

__attribute__((noinline)) void key_set(int count)
{
	pthread_key_t k = 0;
	for (int i = 0; i < count; i++)
		if (pthread_key_create(&k, NULL) != 0)
			abort();
	if (pthread_setspecific(k, make_marker()) != 0)
		abort();
	if (count > 1 && k < 32)
		fprintf(stderr, "key %u is below 32\n", (unsigned)k);
}

__attribute__((noinline)) void pool_fill(void)
{
	void **pool =
	    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pool == MAP_FAILED)
		abort();
	pool[1000] = make_marker();
	g_pool = pool;
}

/* V8's code page layout: [guard 4 KiB][header 8 KiB, read-write][guard], the header holding
 * the page's heap blocks (its free-list categories). */
__attribute__((noinline)) void pool_paged_fill(void)
{
	char *page = mmap(NULL, 64 << 10, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || mprotect(page + 4096, 8192, PROT_READ | PROT_WRITE) != 0)
		abort();
	((void **)(page + 4096))[3] = make_marker();
	g_pool = page;
}

/* A pool whose first pages are a guard region (MADV_GUARD_INSTALL, Linux 6.13): /proc/self/maps
 * shows one readable mapping, but reading its first page faults. The marker lies past it.
 * Exit 77 when the kernel has no guard regions. */
__attribute__((noinline)) void pool_guard_fill(void)
{
	void **pool =
	    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pool == MAP_FAILED)
		abort();
	if (madvise(pool, 4 * 4096, 102 /* MADV_GUARD_INSTALL */) != 0)
		exit(77);
	pool[4 * 512 + 1000] = make_marker();
	g_pool = pool;
}

__attribute__((noinline)) void pool_64m_fill(void)
{
	size_t span = (size_t)192 << 20, b64 = (size_t)64 << 20;
	char *pool = mmap(NULL, span, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (pool == MAP_FAILED)
		abort();
	uintptr_t *at = (uintptr_t *)(((uintptr_t)pool + 4096 + b64 - 1) & ~(uintptr_t)(b64 - 1));
	at[0] = 5;    /* a block count, not an arena pointer */
	at[1] = 0;    /* an empty free list, not a previous heap */
	at[2] = 4096; /* small numbers where a heap's sizes are */
	at[3] = 8192;
	at[(1 << 20) / sizeof(uintptr_t)] = (uintptr_t)make_marker();
	g_pool = pool;
}

__attribute__((noinline)) void dtls_set(const char *lib)
{
	g_lib = dlopen(lib, RTLD_NOW);
	if (!g_lib) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		exit(2);
	}
	void (*set)(void *(*)(void)) = (void (*)(void *(*)(void)))dlsym(g_lib, "dtls_set");
	if (!set)
		exit(2);
	set(make_marker);
}

static void start(void *(*fn)(void *))
{
	pthread_t t;
	handoff();
	if (pthread_create(&t, NULL, fn, NULL) != 0)
		abort();
	wait_ready();
}

/* Exits with a thread that glibc has made but not yet started (its signals still blocked):
 * on one CPU the new thread waits for main to sleep. */
static void start_and_exit(void)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	if (pthread_create(&t, &a, idle_thread, NULL) != 0)
		abort();
	lose_plain();
	scrub();
	exit(0);
}

static const char *g_fifo;

static void *spawn_thread(void *arg)
{
	(void)arg;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, g_fifo, O_RDONLY, 0);
	char *argv[] = {"true", NULL};
	pid_t pid;
	g_ready = 1;
	if (posix_spawn(&pid, "/bin/true", &fa, NULL, argv, environ) == 0)
		waitpid(pid, NULL, 0);
	for (;;)
		pause();
	return NULL;
}

/* Exits while a thread is in posix_spawn with every signal blocked; a helper process lets
 * the spawn finish 30 ms later. */
static void spawn_and_exit(const char *fifo)
{
	g_fifo = fifo;
	if (mkfifo(fifo, 0600) != 0)
		abort();
	pthread_t t;
	if (pthread_create(&t, NULL, spawn_thread, NULL) != 0)
		abort();
	wait_ready();
	struct timespec ms50 = {0, 50000000};
	nanosleep(&ms50, NULL); /* the spawned child is waiting in open(2) by now */
	if (fork() == 0) {
		struct timespec ms30 = {0, 30000000};
		nanosleep(&ms30, NULL);
		int fd = open(fifo, O_WRONLY);
		if (fd >= 0)
			close(fd);
		_exit(0);
	}
	lose_plain();
	scrub();
	exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
#if defined(__x86_64__)
	if (!strcmp(mode, "reg"))
		start(spin_reg);
	else if (!strcmp(mode, "xmm"))
		start(spin_xmm);
	else if (!strcmp(mode, "own_rtmax")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = own_handler;
		sigaction(SIGRTMAX, &sa, NULL);
		start(spin_reg);
	} else
#endif
	    if (!strcmp(mode, "stack"))
		start(spin_stack);
	else if (!strcmp(mode, "blocked"))
		start(block_stack);
	else if (!strcmp(mode, "tls"))
		tls_set();
	else if (!strcmp(mode, "tls_thread"))
		start(spin_tls);
	else if (!strcmp(mode, "dtls") && argc > 2)
		dtls_set(argv[2]);
	else if (!strcmp(mode, "key_lo"))
		key_set(1);
	else if (!strcmp(mode, "key_hi"))
		key_set(40);
	else if (!strcmp(mode, "pool"))
		pool_fill();
	else if (!strcmp(mode, "pool_64m"))
		pool_64m_fill();
	else if (!strcmp(mode, "pool_paged"))
		pool_paged_fill();
	else if (!strcmp(mode, "pool_guard"))
		pool_guard_fill();
	else if (!strcmp(mode, "self"))
		lose_self();
	else if (!strcmp(mode, "stale"))
		stale_fill();
	else if (!strcmp(mode, "stale_thread")) {
		pthread_t t;
		if (pthread_create(&t, NULL, stale_thread, NULL) != 0)
			abort();
		wait_ready();
	} else if (!strcmp(mode, "masked") || !strcmp(mode, "rawmasked")) {
		pthread_t t;
		if (pthread_create(&t, NULL, masked_thread, mode[0] == 'r' ? g_bytes : NULL) != 0)
			abort();
		wait_ready();
		lose_plain();
	} else if (!strcmp(mode, "sigwait"))
		start(sigwait_stack);
	else if (!strcmp(mode, "timer")) {
		start_timer();
		lose_plain();
	} else if (!strcmp(mode, "spawning") && argc > 2)
		spawn_and_exit(argv[2]);
	else if (!strcmp(mode, "starting"))
		start_and_exit();
	else if (!strcmp(mode, "unaligned"))
		lose_unaligned();
	else if (!strcmp(mode, "fork_held"))
		fork_hold(0);
	else if (!strcmp(mode, "fork_held_arena"))
		fork_hold(1);
	else if (!strcmp(mode, "fork")) {
		pid_t pid = fork();
		if (pid == 0) {
			lose_plain();
			scrub();
			exit(0);
		}
		int st;
		waitpid(pid, &st, 0);
	} else {
		fprintf(stderr, "usage: reach_roots MODE [LIB]\n");
		return 2;
	}
	scrub();
	exit(0);
}
