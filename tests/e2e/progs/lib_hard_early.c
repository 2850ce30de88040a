/* SPDX-License-Identifier: MIT */
/* lib_hard_early.c - a shared library whose constructor allocates. Linked into
 * hard_early_malloc (DT_NEEDED), its constructor runs before the preload's own constructor
 * (the dynamic loader initialises needed libraries before preloaded ones that do not depend
 * on them), so malloc, calloc, realloc and free reach the preload's hooks before its init. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *hard_early_buf;
char **hard_early_list;
int hard_early_n;

__attribute__((constructor)) static void early_init(void)
{
	void *aligned = NULL;
	char *scratch = malloc(10);
	FILE *f;

	free(scratch);
	hard_early_buf = malloc(64);
	if (!hard_early_buf)
		abort();
	strcpy(hard_early_buf, "allocated in a library constructor");
	hard_early_buf = realloc(hard_early_buf, 8192);
	hard_early_list = calloc(16, sizeof *hard_early_list);
	for (int i = 0; i < 16; i++)
		hard_early_list[i] = strdup("early");
	hard_early_n = 16;
	if (posix_memalign(&aligned, 64, 256) == 0)
		free(aligned);
	f = fopen("/dev/null", "r");
	if (f)
		fclose(f);
}

void hard_early_release(void);
void hard_early_release(void)
{
	for (int i = 0; i < hard_early_n; i++)
		free(hard_early_list[i]);
	free(hard_early_list);
	free(hard_early_buf);
	hard_early_list = NULL;
	hard_early_buf = NULL;
	hard_early_n = 0;
}
