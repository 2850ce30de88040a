/* SPDX-License-Identifier: MIT */
/* heap_dlopen.c - loads each library named on the command line by path, calls its
 * heap_plugin_run() (which leaks), and dlcloses it again before the next one, checking with
 * RTLD_NOLOAD that it really was unloaded. Prints one line per library:
 *   <path> leaked <n> unloaded <yes|no> base <load address>
 * Usage: heap_dlopen LIB.so... */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* Zeroes the dead stack below main, where malloc's and libleak's frames left copies of the
 * leaked pointers, so a conservative reachability scan at exit cannot find them there and
 * every leaked block stays unreachable ("leak", not "reachable"). */
__attribute__((noinline)) static void scrub_stack(void)
{
	char buf[256 * 1024];
	memset(buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		void *h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			return 1;
		}
		int (*run)(void) = (int (*)(void))dlsym(h, "heap_plugin_run");
		if (!run) {
			fprintf(stderr, "dlsym: %s\n", dlerror());
			return 1;
		}
		Dl_info info;
		void *base = dladdr((void *)run, &info) ? info.dli_fbase : NULL;
		int n = run();
		scrub_stack();
		if (dlclose(h) != 0) {
			fprintf(stderr, "dlclose: %s\n", dlerror());
			return 1;
		}
		void *again = dlopen(argv[i], RTLD_NOW | RTLD_NOLOAD);
		printf("%s leaked %d unloaded %s base %p\n", argv[i], n, again ? "no" : "yes",
		       base);
		if (again)
			dlclose(again);
	}
	return 0;
}
