/* SPDX-License-Identifier: MIT */
/* attach.h - leak-attach's parts: what /proc and the target's ELF files say (target.c), and
 * stopping, calling into and releasing the target's threads with ptrace (inject.c). main.c
 * strings them together: refuse or attach, wait for the window, detach, report. */
#ifndef LEAK_ATTACH_ATTACH_H
#define LEAK_ATTACH_ATTACH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/* A module mapped in the target: its lowest mapping (file offset 0) and how to read it. */
struct at_module {
	uintptr_t base;      /* load bias: start of the offset-0 mapping minus its p_vaddr */
	uintptr_t lo, hi;    /* lowest and highest address of any of its mappings */
	char path[4096];     /* as /proc/PID/maps shows it (in the target's mount namespace) */
	char readable[4200]; /* a path this process can open: map_files, /proc/PID/root/..., path */
	int deleted;         /* maps says "(deleted)" */
	dev_t dev;
	ino_t ino;
};

/* What target_inspect learned. */
struct at_target {
	pid_t pid;
	char comm[64];
	uid_t uid;
	gid_t gid;
	struct at_module libc, ld, leak; /* leak.base == 0: no libleak mapped */
	int other_mntns;                 /* the target sees another file system (a container) */
};

/* target.c */
/* Fills T and checks every refusal case (see main.c's usage text); on refusal writes one line
 * (without the "leak-attach: " prefix) into WHY and returns -1. Nothing touches the target. */
int target_inspect(pid_t pid, struct at_target *t, char *why, size_t whylen);
/* Re-reads the modules (libleak after dlopen). 0 ok, -1 no such module. */
int target_find_module(pid_t pid, const char *basename_prefix, struct at_module *m);
/* Address in the target of the default-version dynamic symbol NAME of module M, or 0. */
uintptr_t target_sym(const struct at_module *m, const char *name);
/* Reads/writes the target's memory through /proc/PID/mem. 0 ok, -1 errno set. */
int target_read(pid_t pid, uintptr_t addr, void *buf, size_t len);
int target_write(pid_t pid, uintptr_t addr, const void *buf, size_t len);
/* 1 when the thread has a signal pending that it does not block. */
int target_thread_sigpending(pid_t pid, pid_t tid);
/* 1 if thread TID of PID has exited (a zombie, dead, or no longer listed). */
int target_thread_exiting(pid_t pid, pid_t tid);

/* inject.c */
struct at_thread {
	pid_t tid;
	int stopped;                  /* in a ptrace stop we can inspect */
	int pending_sig;              /* a signal the stop took from it: given back at detach */
	int regs_changed;             /* saved regs were rewritten (an EINTR made a restart) */
	int late;                     /* did not stop in time (uninterruptible sleep) */
	struct user_regs_struct regs; /* as found at the stop */
};

/* Or'd into leak_attach_begin's interval: the other threads run during the call (as
 * preload/attach.h defines it). */
#define LEAK_ATTACH_RUNNING 0x80000000u

struct at_session {
	pid_t pid;
	struct at_thread *th;
	size_t n, cap;
	const struct at_target *t;
	size_t chosen; /* index of the thread we call through */
	int restarts;  /* EINTR returns turned into restarts */
};

/* Seizes and interrupts every thread of PID until no new one appears. 0 ok; -errno (EPERM:
 * ptrace refused, ESRCH: gone); on failure every thread seized so far is released. */
int inject_stop_all(struct at_session *s, pid_t pid, const struct at_target *t);
/* Picks a thread at a safe point (not inside libc, the loader or libleak, or blocked in a
 * known waiting syscall), stepping one out of libc if needed, and releases all the others.
 * 0 ok, -1 none found (everything released; nothing changed). */
int inject_pick_and_release(struct at_session *s, char *why, size_t whylen);
/* Calls FN(A0, A1) in the chosen thread; *RET gets rax. 0 ok; -1 failure with WHY filled. */
int inject_call(struct at_session *s, uintptr_t fn, uint64_t a0, uint64_t a1, uint64_t *ret,
                char *why, size_t whylen);
/* Writes LEN bytes below the chosen thread's red zone; returns their address in the target. */
uintptr_t inject_scratch(struct at_session *s, const void *data, size_t len);
/* Restores the chosen thread's registers and releases it (signals taken are given back). */
void inject_finish(struct at_session *s);
/* Detaches threads that stopped only after they were released (see inject.c); returns how
 * many are still waited for. */
size_t inject_reap_orphans(void);

#endif
