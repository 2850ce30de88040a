/* grow_reach_globals.c - memory still referenced at exit versus memory nobody points to:
 * config_load() builds a config held by a global (with a name string it points to: reachable
 * only through the config), list_push() a 10-node list from a global head, table_fill()
 * 16 blocks in a global array: all reachable at exit, none a leak. lose_blocks() allocates 5
 * blocks of 100 bytes and drops every pointer to them: the leaks. The program then exits
 * normally (a scan at the final snapshot tells the two apart). Usage: grow_reach_globals */
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
	}
}

/* Overwrites the dead stack where lose_blocks' frame was. */
__attribute__((noinline)) static void scrub_stack(void)
{
	volatile char buf[16384];
	memset((char *)buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

int main(void)
{
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
	return 0;
}
