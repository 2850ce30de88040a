/* SPDX-License-Identifier: MIT */
/* unwind_chain.c - call chains for test_unwind.c. Not built by make: the test compiles it at
 * run time into a shared library with -O2 -fomit-frame-pointer (the way distributions build),
 * so the walker must step through these frames with .eh_frame rules, and through a library.
 * Each function has another frame shape: RSP-based with a growing frame, RBP-based (alloca),
 * and RBP used as an ordinary callee-saved register. */
#include <stddef.h>
#include <stdint.h>

typedef int (*uc_cb_t)(void *arg);

volatile int uc_sink;
volatile int uc_vals[8] = {1, 2, 3, 4, 5, 6, 7, 8};
char *volatile uc_sink_ptr;

int uc_chain(int n, uc_cb_t cb, void *arg);

__attribute__((noinline)) static int uc_plain(int n, uc_cb_t cb, void *arg)
{
	volatile char pad[64];
	pad[n & 63] = (char)n;
	int r = n > 0 ? uc_chain(n - 1, cb, arg) : cb(arg);
	uc_sink = r;
	return r + pad[n & 63];
}

__attribute__((noinline)) static int uc_alloca(int n, uc_cb_t cb, void *arg)
{
	char *buf = __builtin_alloca(16 + (size_t)(n & 7) * 16);
	buf[0] = (char)n;
	uc_sink_ptr = buf;
	int r = n > 0 ? uc_chain(n - 1, cb, arg) : cb(arg);
	uc_sink = r;
	return r + buf[0];
}

__attribute__((noinline)) static int uc_regs(int n, uc_cb_t cb, void *arg)
{
	int a = uc_vals[0], b = uc_vals[1], c = uc_vals[2], d = uc_vals[3], e = uc_vals[4],
	    f = uc_vals[5];
	int r = n > 0 ? uc_chain(n - 1, cb, arg) : cb(arg);
	uc_sink = r;
	return r + a * b + c * d + e * f + (a ^ c) + (b ^ d) + (e ^ f);
}

__attribute__((noinline)) int uc_chain(int n, uc_cb_t cb, void *arg)
{
	int r;
	switch (n % 3) {
	case 0:
		r = uc_plain(n, cb, arg);
		break;
	case 1:
		r = uc_alloca(n, cb, arg);
		break;
	default:
		r = uc_regs(n, cb, arg);
		break;
	}
	uc_sink = r;
	return r + 1;
}
