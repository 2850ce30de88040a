/* SPDX-License-Identifier: MIT */
/* lib_heap_reload.c - a second plugin heap_dlopen loads after lib_heap_plugin.so is gone, so
 * it may be mapped where that one was. heap_plugin_run() leaks 17 blocks of 555 bytes from
 * reload_alloc_entry(): the report must tell the two libraries' functions apart. */
#include <stdlib.h>

__attribute__((noinline)) static void *reload_alloc_entry(size_t n)
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
	static volatile int count = 17;
	for (int i = 0; i < count; i++)
		reload_alloc_entry(555);
	return count;
}
