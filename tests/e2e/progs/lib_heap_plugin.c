/* SPDX-License-Identifier: MIT */
/* lib_heap_plugin.c - a plugin heap_dlopen loads by path, calls, and dlcloses before exit.
 * heap_plugin_run() leaks 13 blocks of 777 bytes from plugin_alloc_entry(), a function that
 * exists only in this library: the report must still name it after the unload. */
#include <stdlib.h>

__attribute__((noinline)) static void *plugin_alloc_entry(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

int heap_plugin_run(void);
int heap_plugin_run(void)
{
	static volatile int count = 13;
	for (int i = 0; i < count; i++)
		plugin_alloc_entry(777);
	return count;
}
