/* SPDX-License-Identifier: MIT */
/* preload_order.h - warns when another preloaded allocator hides malloc from libleak. */
#ifndef LEAK_PRELOAD_PRELOAD_ORDER_H
#define LEAK_PRELOAD_PRELOAD_ORDER_H

/* Constructor: one line on stderr if the program's malloc resolves to a shared library other
 * than libleak.so (one preloaded before it). */
void lk_preload_order_check(void);

#endif
