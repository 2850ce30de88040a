/* SPDX-License-Identifier: MIT */
/* array.c - array_grow() (see array.h). */
#include "array.h"

#include <stdlib.h>

int array_grow(void **arr, uint32_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	if (need > UINT32_MAX / 2)
		return -1;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need)
		ncap *= 2;
	void *n = realloc(*arr, ncap * elem);
	if (!n)
		return -1;
	*arr = n;
	*cap = (uint32_t)ncap;
	return 0;
}
