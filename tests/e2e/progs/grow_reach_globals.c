/* SPDX-License-Identifier: MIT */
/* grow_reach_globals.c - memory still referenced at exit versus memory nobody points to:
 * config_load() builds a config held by a global (with a name string it points to: reachable
 * only through the config), list_push() a 10-node list from a global head, table_fill()
 * 16 blocks in a global array: all reachable at exit, none a leak. lose_blocks() allocates 5
 * blocks of 100 bytes and drops every pointer to them: the leaks. The program then exits
 * normally (a scan at the final snapshot tells the two apart). With "exit-deep" it instead
 * calls exit() from three calls down, and an atexit handler first spreads the lost blocks'
 * addresses over a deep local buffer: frames below the exit() call are dead by the final
 * snapshot, and what they left behind must not make the lost blocks reachable.
 * Usage: grow_reach_globals [exit-deep] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct config {
	char *name;
	int verbose;
};

struct node {
	struct node *next;
	int value;
};

static struct config *g_config;
static struct node *g_list;
static char *g_table[16];
/* The lost blocks' addresses, complemented: outside user space, so not pointers. */
static uintptr_t g_lost_not[5];

__attribute__((noinline)) void config_load(void)
{
	g_config = malloc(sizeof(*g_config));
	if (!g_config)
		abort();
	g_config->name = strdup("grow_reach_globals");
	g_config->verbose = 1;
}

__attribute__((noinline)) void list_push(int v)
{
	struct node *n = malloc(sizeof(*n));
	if (!n)
		abort();
	n->value = v;
	n->next = g_list;
	g_list = n;
}

__attribute__((noinline)) void table_fill(void)
{
	for (int i = 0; i < 16; i++) {
		g_table[i] = malloc(64);
		if (!g_table[i])
			abort();
		memset(g_table[i], i, 64);
	}
}

/* The pointers live only in this frame and in registers, both gone before exit. */
__attribute__((noinline)) void lose_blocks(void)
{
	for (int i = 0; i < 5; i++) {
		volatile char *p = malloc(100);
		if (!p)
			abort();
		p[0] = (char)i;
		g_lost_not[i] = ~(uintptr_t)p;
	}
}

/* Overwrites the dead stack where lose_blocks' frame was. */
__attribute__((noinline)) static void scrub_stack(void)
{
	volatile char buf[16384];
	memset((char *)buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

/* Runs inside exit(), before libleak's final snapshot: 4 KiB of dead stack full of the lost
 * blocks' addresses, below where exit() was called. */
__attribute__((noinline)) static void spread_lost(void)
{
	volatile uintptr_t buf[512];
	for (int i = 0; i < 512; i++)
		buf[i] = ~g_lost_not[i % 5];
	__asm__ volatile("" : : "r"(buf) : "memory");
}

__attribute__((noinline)) static void exit_deep(int depth)
{
	if (depth > 0)
		exit_deep(depth - 1);
	exit(0);
}

int main(int argc, char **argv)
{
	int deep = argc > 1 && strcmp(argv[1], "exit-deep") == 0;
	if (deep && atexit(spread_lost) != 0)
		return 1;
	config_load();
	for (int i = 0; i < 10; i++)
		list_push(i);
	table_fill();
	lose_blocks();
	scrub_stack();
	int sum = 0;
	for (int i = 0; i < 16; i++)
		sum += g_table[i][0];
	printf("config %s, list head %d, table sum %d\n", g_config->name, g_list->value, sum);
	if (deep) {
		fflush(stdout);
		exit_deep(3);
	}
	return 0;
}
