# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# cc.sh - cc (the gcc driver) compiling and linking a C file: a fork and exec chain through
# cc1, as and collect2/ld, every one of them under the preload. The built program runs
# natively; its output and its object's symbol table are compared.
pkgs_cc() { echo gcc binutils; }
limit_cc() { echo 90; }
case_cc() {
	cat >prog.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
	struct node *next;
	char name[32];
};

static struct node *push(struct node *head, int i)
{
	struct node *n = malloc(sizeof *n);

	snprintf(n->name, sizeof n->name, "node-%d", i);
	n->next = head;
	return n;
}

int main(void)
{
	struct node *head = NULL;
	size_t total = 0;

	for (int i = 0; i < 1000; i++)
		head = push(head, i);
	for (struct node *n = head; n; n = n->next)
		total += strlen(n->name);
	printf("total %zu, head %s\n", total, head->name);
	return 0;
}
C
	lkr_under cc -O2 -g -Wall -c prog.c -o prog.o
	lkr_under cc -o prog prog.o
	./prog
	nm prog.o | sort
	lkr_under cc -O0 -o prog2 prog.c
	./prog2
}
