/* SPDX-License-Identifier: MIT */
/* attach_lib.c - libleak.so's attach entry points driven from inside the program (no ptrace):
 * started without the preload, it makes some threads, descriptors, a child and heap blocks,
 * then dlopen()s libleak.so and, by mode:
 *   inert   nothing more: the library must stay invisible (no trace, thread or descriptor)
 *   window  leak_attach_begin, a malloc/free loop that leaks 5 blocks from leak_in_window(),
 *           a descriptor opened (and kept) by open_in_window(), frees and a realloc of blocks
 *           made before the window, a thread started and joined, leak_attach_end
 *   cycles  twenty begin/end windows with allocations in each: no growth of descriptors or
 *           threads from one cycle to the next
 *   threads four threads in a tight malloc/free loop (each leaking one block per 1000) while
 *           the main thread opens and closes five windows of 100 ms
 *   stopped a window whose writer thread ("leak-writer") a child process holds stopped with
 *           ptrace when leak_attach_end is called: it must answer -ETIMEDOUT, then 0 once
 *           the thread runs again, with the GOT restored
 *   exit    leak_attach_begin, 3 leaked blocks, then exit(3) inside the window
 *   plugin  a window in which a library (argv[4], lib_heap_plugin.so) is dlopen()ed, leaks 13
 *           blocks and is dlclose()d: its calls are routed too. With a fifth argument "late",
 *           it is loaded through a pointer to dlopen taken before the window (which the
 *           attach does not route): the writer's next pass routes it, within an interval
 * Usage: attach_lib LIBLEAK_SO|- OUT_DIR MODE. With "-" nothing is loaded and the entry points
 * are stand-ins answering 0: the program's own output to compare with. Prints what it saw;
 * exit status 0 when the entry points answered 0 (and, for cycles, nothing grew). */
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* VmSize of this process, KiB. */
static long vm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmSize:", 7) == 0)
			kib = atol(line + 7);
	if (f)
		fclose(f);
	return kib;
}

static int block_pipe[2];

static void *pre_thread(void *arg)
{
	(void)arg;
	char c;
	while (read(block_pipe[0], &c, 1) < 0)
		;
	return NULL;
}

/* The tid of the thread named name, or 0. */
static int tid_named(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	int tid = 0;
	struct dirent *e;
	while (d && !tid && (e = readdir(d))) {
		char path[64], comm[32] = "";
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fgets(comm, sizeof(comm), f) && strncmp(comm, name, strlen(name)) == 0)
				tid = atoi(e->d_name);
			fclose(f);
		}
	}
	if (d)
		closedir(d);
	return tid;
}

static volatile int stop_churn;

static void *churn_thread(void *arg)
{
	(void)arg;
	unsigned long n = 0;
	while (!stop_churn) {
		void *p = malloc(24 + n % 200);
		if (++n % 1000 == 0)
			__asm__ volatile("" : : "r"(p) : "memory"); /* kept: a leak */
		else
			free(p);
		void *q = calloc(1, 40);
		q = realloc(q, 80);
		free(q);
	}
	return (void *)n;
}

static void *window_thread(void *arg)
{
	return malloc((size_t)(unsigned long)arg);
}

__attribute__((noinline)) static void *leak_in_window(size_t n)
{
	void *p = malloc(n);
	if (p)
		memset(p, 1, n);
	return p;
}

__attribute__((noinline)) static int open_in_window(void)
{
	return open("/dev/zero", O_RDONLY | O_CLOEXEC);
}

static void *volatile sink;

static int no_begin(const char *dir, unsigned ms)
{
	(void)dir;
	(void)ms;
	return 0;
}

static int no_end(void)
{
	return 0;
}

/* Whether this program's GOT entry for malloc (what &malloc reads in a PIE) holds what the
 * name resolves to globally (libc's): not while attached, again after. */
__attribute__((noinline)) static int got_is_libc(void)
{
	void *(*volatile mine)(size_t) = malloc;
	return (void *)mine == dlsym(RTLD_DEFAULT, "malloc");
}

/* A malloc/free loop the compiler cannot drop. */
static void churn(int n, size_t base)
{
	for (int i = 0; i < n; i++) {
		sink = malloc(base + (size_t)(i % 100));
		free(sink);
	}
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: attach_lib LIBLEAK_SO OUT_DIR inert|window|cycles\n");
		return 2;
	}
	const char *mode = argv[3];
	setvbuf(stdout, NULL, _IONBF, 0);
	/* What exists before: a thread, a descriptor, a child, heap blocks. */
	if (pipe(block_pipe) != 0)
		return 1;
	pthread_t pre;
	pthread_create(&pre, NULL, pre_thread, NULL);
	int pre_fd = open("/dev/null", O_RDONLY);
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	void *old[64];
	for (int i = 0; i < 64; i++)
		old[i] = malloc(100 + (size_t)i);
	int threads0 = count_dir("/proc/self/task"), fds0 = count_dir("/proc/self/fd");

	int (*begin)(const char *, unsigned) = no_begin;
	int (*end)(void) = no_end;
	if (strcmp(argv[1], "-") != 0) {
		void *h = dlopen(argv[1], RTLD_NOW);
		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		begin = (int (*)(const char *, unsigned))dlsym(h, "leak_attach_begin");
		end = (int (*)(void))dlsym(h, "leak_attach_end");
	}
	if (!begin || !end) {
		fprintf(stderr, "no entry points\n");
		return 1;
	}
	int rc = 0;
	if (strcmp(mode, "inert") == 0) {
		churn(1000, 64);
		printf("inert threads %d->%d fds %d->%d\n", threads0, count_dir("/proc/self/task"),
		       fds0, count_dir("/proc/self/fd"));
	} else if (strcmp(mode, "window") == 0) {
		int b = begin(argv[2], 100);
		printf("begin %d\n", b);
		churn(20000, 32);
		for (int i = 0; i < 5; i++)
			sink = leak_in_window(1000);
		for (int i = 0; i < 32; i++)
			free(old[i]); /* made before the window: unknown, harmless */
		old[32] = realloc(old[32], 5000);
		int fd = open_in_window();
		pthread_t t;
		void *ret = NULL;
		pthread_create(&t, NULL, window_thread, (void *)64ul);
		pthread_join(t, &ret);
		free(ret);
		usleep(300000); /* a few periodic snapshots */
		int routed = !got_is_libc();
		int e = end();
		printf("end %d fd %d\n", e, fd >= 0);
		if (strcmp(argv[1], "-") != 0)
			printf("got routed %d restored %d\n", routed, got_is_libc());
		else
			printf("got routed 1 restored 1\n");
		rc = b != 0 || e != 0;
		churn(1000, 64); /* after the window: not recorded */
		printf("after threads %d->%d fds %d->%d\n", threads0, count_dir("/proc/self/task"),
		       fds0, count_dir("/proc/self/fd") - 1);
	} else if (strcmp(mode, "cycles") == 0) {
		int t1 = 0, f1 = 0;
		long vm1 = 0;
		for (int c = 0; c < 20 && !rc; c++) {
			int b = begin(argv[2], 50);
			churn(5000, 48);
			sink = leak_in_window(200);
			int fd = open_in_window();
			usleep(20000);
			close(fd);
			int e = end();
			if (b || e) {
				printf("cycle %d: begin %d end %d\n", c, b, e);
				rc = 1;
			}
			if (c == 0) {
				t1 = count_dir("/proc/self/task");
				f1 = count_dir("/proc/self/fd");
				vm1 = vm_kib();
			}
		}
		int t2 = count_dir("/proc/self/task"), f2 = count_dir("/proc/self/fd");
		printf("cycles threads %d %d->%d fds %d %d->%d\n", threads0, t1, t2, fds0, f1, f2);
		long vm2 = vm_kib();
		/* Mappings kept for the next window may grow a little (the stack table), never by
		 * a window's worth each time. */
		printf("cycles mapped after the first %ld KiB, after the last %ld KiB: %s\n", vm1,
		       vm2, vm2 - vm1 < 4096 ? "steady" : "growing");
		if (t2 != t1 || f2 != f1 || t2 != threads0 || f2 != fds0)
			rc = 1;
	} else if (strcmp(mode, "threads") == 0) {
		pthread_t t[4];
		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, churn_thread, NULL);
		for (int c = 0; c < 5 && !rc; c++) {
			usleep(30000);
			int b = begin(argv[2], 20);
			usleep(100000);
			int e = end();
			rc = b || e;
			printf("window %d: begin %d end %d\n", c, b, e);
		}
		stop_churn = 1;
		unsigned long total = 0;
		for (int i = 0; i < 4; i++) {
			void *n;
			pthread_join(t[i], &n);
			total += (unsigned long)n;
		}
		printf("threads churned %s\n", total > 1000 ? "yes" : "no");
	} else if (strcmp(mode, "plugin") == 0 && argc > 4) {
		void *(*volatile early_dlopen)(const char *, int) = dlopen;
		int late = argc > 5 && strcmp(argv[5], "late") == 0;
		int b = begin(argv[2], late ? 20 : 100);
		void *lib = late ? early_dlopen(argv[4], RTLD_NOW) : dlopen(argv[4], RTLD_NOW);
		for (int i = 0; late && i < 30; i++) {
			churn(200, 16); /* the hooks' ticks start the writer, which passes */
			usleep(10000);
		}
		int (*run)(void) = lib ? (int (*)(void))dlsym(lib, "heap_plugin_run") : NULL;
		int n = run ? run() : -1;
		if (lib)
			dlclose(lib);
		churn(1000, 16);
		int e = end();
		printf("plugin begin %d ran %d end %d\n", b, n, e);
		rc = b || e || n < 0;
	} else if (strcmp(mode, "stopped") == 0) {
		int b = begin(argv[2], 20);
		int writer = 0;
		for (int i = 0; i < 200 && !writer; i++) {
			churn(2000, 40); /* the first need starts the writer thread */
			usleep(10000);
			writer = tid_named("leak-writer");
		}
		int go[2], ready[2];
		if (!writer || pipe(go) || pipe(ready))
			return 1;
		pid_t tracer = fork();
		if (tracer == 0) {
			char c = 0;
			int ok = ptrace(PTRACE_SEIZE, writer, NULL, NULL) == 0 &&
			         ptrace(PTRACE_INTERRUPT, writer, NULL, NULL) == 0 &&
			         waitpid(writer, NULL, __WALL) == writer;
			c = ok ? 'y' : 'n';
			if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
				_exit(1);
			ptrace(PTRACE_DETACH, writer, NULL, NULL);
			_exit(0);
		}
		prctl(PR_SET_PTRACER, tracer, 0, 0, 0);
		char c = 'n';
		if (read(ready[0], &c, 1) != 1 || c != 'y') {
			printf("stopped: cannot stop the writer (ptrace not permitted)\n");
			return 77;
		}
		int e1 = end();
		if (write(go[1], "g", 1) != 1)
			return 1;
		waitpid(tracer, NULL, 0);
		int e2 = end();
		int restored = got_is_libc();
		int e3 = end();
		printf("stopped begin %d end %d, then end %d restored %d, again %d\n", b, e1, e2,
		       restored, e3);
		rc = !(b == 0 && e1 == -110 && restored && e2 == 0 && e3 == -2);
	} else if (strcmp(mode, "exit") == 0) {
		printf("begin %d\n", begin(argv[2], 100));
		for (int i = 0; i < 3; i++)
			sink = leak_in_window(777);
		churn(1000, 16);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		exit(3);
	}
	for (int i = 32; i < 64; i++)
		free(old[i]);
	close(pre_fd);
	if (write(block_pipe[1], "x", 1) != 1)
		rc = 1;
	pthread_join(pre, NULL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("done %s\n", mode);
	return rc;
}
