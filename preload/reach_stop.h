/* SPDX-License-Identifier: MIT */
/* reach_stop.h - stopping the program's other threads for the exit scan (reach_stop.c): each
 * gets a real-time signal whose handler saves its registers into a slot and waits until the
 * scan is over, as LeakSanitizer's stop-the-world does with ptrace. */
#ifndef LEAK_PRELOAD_REACH_STOP_H
#define LEAK_PRELOAD_REACH_STOP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What became of one thread. */
enum {
	LK_STOP_SENT = 0, /* signalled, not answered yet */
	LK_STOP_SAVED,    /* stopped: sp, tp and regs are valid */
	LK_STOP_GONE,     /* exited meanwhile (or a zombie): nothing to scan */
	LK_STOP_BLOCKED,  /* blocks every signal it could get: not stopped */
	LK_STOP_TIMEOUT,  /* did not answer in time: not stopped */
	LK_STOP_HELD,     /* inside libc with every signal blocked (starting, spawning): while
	                   * lk_stop_world waits for it; BLOCKED if it never unblocks */
};

/* The calling thread's thread pointer (fs_base on x86-64): its TCB, above its static TLS. */
static inline uintptr_t lk_thread_pointer(void)
{
	uintptr_t tp = 0;
#if defined(__x86_64__)
	__asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
#elif defined(__aarch64__)
	__asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
#endif
	return tp;
}

/* Bytes of registers a slot keeps: the general registers, then the FPU/vector state (xmm,
 * the upper ymm halves and more as the XSAVE area holds them). */
#define LK_STOP_REGS 1024

typedef struct {
	pid_t tid;
	int state;
	uintptr_t sp, tp; /* stack pointer, thread pointer (fs_base) */
	uint32_t regs_len;
	int via_rt; /* signalled with the real-time stop signal, not 33 */
	char name[16];
	uint8_t regs[LK_STOP_REGS] __attribute__((aligned(16))); /* scanned as words */
} lk_stop_thread_t;

typedef struct {
	size_t n, cap, bytes;
	int sig;
	uint32_t acked, release, left; /* futex words */
	uint32_t sent;
	int overflow; /* a thread found no slot: not stopped, the scan is partial */
	lk_stop_thread_t t[];
} lk_stop_t;

/* The writer thread calls this first: it is libleak's, never stopped, its stack no root. */
void lk_reach_note_writer(void);
/* The writer's thread id (0 if none) and an address on its stack. */
pid_t lk_reach_writer_tid(void);
uintptr_t lk_reach_writer_stack(void);

/* Stops every thread of the process but the caller and the writer. Returns the stop record
 * (mmap'd), or NULL when it cannot be made (out of memory): nothing is stopped then. Takes
 * no lock a stopped thread may hold (raw system calls, the real sigaction only). */
lk_stop_t *lk_stop_world(void);

/* Lets the stopped threads go on and restores the signal's disposition; frees st unless a
 * late handler may still read it. */
void lk_resume_world(lk_stop_t *st);

#endif
