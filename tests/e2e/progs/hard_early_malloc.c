/* SPDX-License-Identifier: MIT */
/* hard_early_malloc.c - uses memory that lib_hard_early.so allocated in its constructor,
 * before the preload's constructor ran, then reallocates and frees it. The test links the
 * library in (-l:lib_hard_early.so); found through dlsym so this file also builds alone. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	char **buf = dlsym(RTLD_DEFAULT, "hard_early_buf");
	char ***list = dlsym(RTLD_DEFAULT, "hard_early_list");
	void (*release)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "hard_early_release");

	if (!buf || !list || !release || !*buf || !*list) {
		puts("lib_hard_early.so is not linked in");
		return 2;
	}
	printf("%s\n", *buf);
	for (int i = 0; i < 16; i++) {
		(*list)[i] = realloc((*list)[i], 100 + (size_t)i);
		strcat((*list)[i], "+late");
	}
	printf("%s\n", (*list)[15]);
	*buf = realloc(*buf, 100000);
	release();
	puts("released");
	return 0;
}
