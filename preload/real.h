/* real.h - the real libc functions, resolved once with dlsym(RTLD_NEXT). Hooks call
 * lk_real.X; before resolution finishes the heap hooks fall back to the bootstrap arena. */
#ifndef LEAK_PRELOAD_REAL_H
#define LEAK_PRELOAD_REAL_H

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

typedef struct {
	/* heap */
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	void (*free)(void *);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	int (*dlclose)(void *);
	/* used by libleak's own machinery (writer thread, fork and signal handling) */
	int (*pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	pid_t (*fork)(void);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
} lk_real_t;

extern lk_real_t lk_real;

/* Constructor context, once. Resolves every pointer above; returns 0 if malloc/free exist. */
int lk_real_init(void);

/* Resolve any other libc symbol by name (RTLD_NEXT); hooks cache it in a static pointer
 * (see LK_REAL() in interpose.h). Safe before lk_real_init; never allocates through us. */
void *lk_real_sym(const char *name);

#endif
