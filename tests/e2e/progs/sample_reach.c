/* SPDX-License-Identifier: MIT */
/* sample_reach.c - under LEAK_SAMPLE the exit scan knows only the sampled blocks: a big block
 * (8 MiB, sampled with p = 1 - e^-16 at LEAK_SAMPLE=524288) that only a small unsampled node
 * (32 bytes, p = 6e-5) points to must still be reached through the node. keep_big, from main: a
 * global points to a chain of small nodes in the main heap, the last of which holds the big block;
 * from thread_main, the same in a thread, whose nodes lie in a glibc arena heap of its own;
 * drop_big: a big block whose only pointer is overwritten (a leak). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BIG (8u << 20)

struct node {
	struct node *next;
	void *big;
	long pad[2];
};

static struct node *g_root, *g_thread_root;
static void *volatile g_dropped;

/* A chain of three small nodes, the last holding a big block. */
__attribute__((noinline)) static struct node *keep_big(void)
{
	struct node *head = NULL;
	for (int i = 0; i < 3; i++) {
		struct node *n = calloc(1, sizeof(*n));
		if (!n)
			exit(1);
		n->next = head;
		head = n;
	}
	head->next->next->big = malloc(BIG);
	memset(head->next->next->big, 1, 4096);
	return head;
}

static void *thread_main(void *arg)
{
	(void)arg;
	g_thread_root = keep_big();
	return NULL;
}

__attribute__((noinline)) static void drop_big(void)
{
	g_dropped = malloc(BIG);
	memset(g_dropped, 2, 4096);
	g_dropped = NULL;
}

/* Overwrites the dead stack below main's frame, where drop_big's copies lay. */
__attribute__((noinline)) static void scrub_stack(void)
{
	volatile char buf[16384];
	memset((char *)buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

int main(void)
{
	g_root = keep_big();
	pthread_t t;
	if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, NULL) != 0)
		return 1;
	drop_big();
	scrub_stack();
	return g_root && g_thread_root ? 0 : 1;
}
