/* SPDX-License-Identifier: MIT */
/* real.h - the real libc functions behind every hook, in one table resolved once with
 * dlsym(RTLD_NEXT). Hooks reach it through LK_REAL()/LK_REAL_OR() (hook.h), which resolve the
 * table first when a hook runs before libleak's constructor. A symbol this libc lacks stays
 * NULL (the hook then fails with ENOSYS). malloc and free are published last: a non-NULL
 * lk_real.malloc means every other entry is final. */
#ifndef LEAK_PRELOAD_REAL_H
#define LEAK_PRELOAD_REAL_H

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Interposed names that not every libc header set declares. */
int close_range(unsigned int first, unsigned int last, int flags);
void closefrom(int lowfd);
int fcntl64(int fd, int cmd, ...);
/* The _FORTIFY_SOURCE entry points of open/openat (a flags value the compiler cannot see). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
/* glibc 2.36 declares these in <sys/pidfd.h>, which older header sets lack. */
int pidfd_open(pid_t pid, unsigned int flags);
int pidfd_getfd(int pidfd, int targetfd, unsigned int flags);
int __libc_start_main(int (*main_fn)(int, char **, char **), int argc, char **argv,
                      void (*init)(void), void (*fini)(void), void (*rtld_fini)(void),
                      void *stack_end);

/* Every real function but malloc and free, in resolution order. */
#define LK_REAL_FUNCS(X)                                                                           \
	/* heap */                                                                                 \
	X(calloc)                                                                                  \
	X(realloc)                                                                                 \
	X(reallocarray)                                                                            \
	X(posix_memalign)                                                                          \
	X(aligned_alloc)                                                                           \
	X(memalign)                                                                                \
	X(valloc)                                                                                  \
	X(pvalloc)                                                                                 \
	/* modules */                                                                              \
	X(dlclose)                                                                                 \
	/* threads (pthread_create also starts libleak's writer thread) */                         \
	X(pthread_create)                                                                          \
	X(pthread_join)                                                                            \
	X(pthread_tryjoin_np)                                                                      \
	X(pthread_timedjoin_np)                                                                    \
	X(pthread_detach)                                                                          \
	X(pthread_exit)                                                                            \
	/* processes, signals, exec, exit */                                                       \
	X(fork)                                                                                    \
	X(posix_spawn)                                                                             \
	X(posix_spawnp)                                                                            \
	X(popen)                                                                                   \
	X(pclose)                                                                                  \
	X(wait)                                                                                    \
	X(waitpid)                                                                                 \
	X(waitid)                                                                                  \
	X(wait3)                                                                                   \
	X(wait4)                                                                                   \
	X(signal)                                                                                  \
	X(sigaction)                                                                               \
	X(raise)                                                                                   \
	X(kill)                                                                                    \
	X(execve)                                                                                  \
	X(execvpe)                                                                                 \
	X(fexecve)                                                                                 \
	X(exit)                                                                                    \
	X(quick_exit)                                                                              \
	X(_exit)                                                                                   \
	X(_Exit)                                                                                   \
	X(__libc_start_main)                                                                       \
	/* descriptors: open, stdio, directories */                                                \
	X(open)                                                                                    \
	X(open64)                                                                                  \
	X(openat)                                                                                  \
	X(openat64)                                                                                \
	X(__open_2)                                                                                \
	X(__open64_2)                                                                              \
	X(__openat_2)                                                                              \
	X(__openat64_2)                                                                            \
	X(creat)                                                                                   \
	X(creat64)                                                                                 \
	X(fopen)                                                                                   \
	X(fopen64)                                                                                 \
	X(fdopen)                                                                                  \
	X(freopen)                                                                                 \
	X(freopen64)                                                                               \
	X(fclose)                                                                                  \
	X(tmpfile)                                                                                 \
	X(tmpfile64)                                                                               \
	X(opendir)                                                                                 \
	X(fdopendir)                                                                               \
	X(closedir)                                                                                \
	/* descriptors: temp files */                                                              \
	X(mkstemp)                                                                                 \
	X(mkstemp64)                                                                               \
	X(mkostemp)                                                                                \
	X(mkostemp64)                                                                              \
	X(mkstemps)                                                                                \
	X(mkstemps64)                                                                              \
	X(mkostemps)                                                                               \
	X(mkostemps64)                                                                             \
	X(mkdtemp)                                                                                 \
	X(unlink)                                                                                  \
	X(unlinkat)                                                                                \
	X(remove)                                                                                  \
	X(rmdir)                                                                                   \
	/* descriptors: sockets */                                                                 \
	X(socket)                                                                                  \
	X(socketpair)                                                                              \
	X(accept)                                                                                  \
	X(accept4)                                                                                 \
	X(connect)                                                                                 \
	X(bind)                                                                                    \
	X(recvmsg)                                                                                 \
	X(recvmmsg)                                                                                \
	/* descriptors: everything else */                                                         \
	X(pipe)                                                                                    \
	X(pipe2)                                                                                   \
	X(dup)                                                                                     \
	X(dup2)                                                                                    \
	X(dup3)                                                                                    \
	X(fcntl)                                                                                   \
	X(fcntl64)                                                                                 \
	X(epoll_create)                                                                            \
	X(epoll_create1)                                                                           \
	X(eventfd)                                                                                 \
	X(timerfd_create)                                                                          \
	X(signalfd)                                                                                \
	X(inotify_init)                                                                            \
	X(inotify_init1)                                                                           \
	X(memfd_create)                                                                            \
	X(pidfd_open)                                                                              \
	X(pidfd_getfd)                                                                             \
	X(close)                                                                                   \
	X(close_range)                                                                             \
	X(closefrom)                                                                               \
	/* descriptor numbers the program names (the trace's moves away first) */                  \
	X(read)                                                                                    \
	X(write)                                                                                   \
	X(pread)                                                                                   \
	X(pread64)                                                                                 \
	X(pwrite)                                                                                  \
	X(pwrite64)                                                                                \
	X(readv)                                                                                   \
	X(writev)                                                                                  \
	X(lseek)                                                                                   \
	X(lseek64)                                                                                 \
	X(fstat)                                                                                   \
	X(fstat64)                                                                                 \
	X(ftruncate)                                                                               \
	X(ftruncate64)                                                                             \
	X(fsync)                                                                                   \
	X(fdatasync)                                                                               \
	X(flock)                                                                                   \
	X(fchmod)                                                                                  \
	X(fchown)                                                                                  \
	X(fchdir)                                                                                  \
	X(chdir)                                                                                   \
	X(chroot)                                                                                  \
	X(unshare)                                                                                 \
	X(ioctl)                                                                                   \
	X(readdir)                                                                                 \
	X(readdir64)                                                                               \
	/* calls a program blocks in (the writer thread starts) */                                 \
	X(nanosleep)                                                                               \
	X(clock_nanosleep)                                                                         \
	X(usleep)                                                                                  \
	X(sleep)                                                                                   \
	X(pause)                                                                                   \
	X(poll)                                                                                    \
	X(ppoll)                                                                                   \
	X(select)                                                                                  \
	X(pselect)                                                                                 \
	X(epoll_wait)                                                                              \
	X(epoll_pwait)                                                                             \
	X(sigsuspend)                                                                              \
	X(sigwaitinfo)                                                                             \
	X(sigtimedwait)                                                                            \
	X(sigwait)                                                                                 \
	X(recv)                                                                                    \
	X(recvfrom)                                                                                \
	X(fgets)                                                                                   \
	X(fread)                                                                                   \
	X(getline)                                                                                 \
	X(getdelim)

typedef struct {
	void *(*malloc)(size_t);
	void (*free)(void *);
#define LK_REAL_FIELD(name) __typeof__(name) *name;
	LK_REAL_FUNCS(LK_REAL_FIELD)
#undef LK_REAL_FIELD
} lk_real_t;

extern lk_real_t lk_real;

/* Resolves the whole table, once. Any thread; the constructor calls it, and so does the first
 * hook that runs before it. Returns 0 once malloc and free are known (every other entry is
 * then final), -1 while another thread (or this one, inside dlsym) is resolving, or when libc
 * has no malloc. dlsym's own calloc lands in the heap hooks meanwhile, which serve it from the
 * bootstrap arena (bootstrap.h). */
int lk_real_init(void);

/* The same from the global scope, for a libleak.so loaded into a running program (attach.c):
 * the functions its modules are bound to, libc's or a linked allocator's, each looked up with
 * find (lk_got_define: dlsym RTLD_DEFAULT, seen through a non-PIE executable's PLT entries). */
int lk_real_init_global(void *(*find)(const char *));

/* The slow half of LK_REAL(): *slot after lk_real_init, or, while the table is being resolved
 * elsewhere, dlsym(RTLD_NEXT, name) itself. Never allocates through the hooks. */
void *lk_real_resolve(void *const *slot, const char *name);

#endif
