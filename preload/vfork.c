/* SPDX-License-Identifier: MIT */
/* vfork.c - the state a real vfork's child and parent share (vfork.h); the stub and the hook
 * are in interpose_spawn.c. */
#include "vfork.h"
#include "sys.h"

#include <sys/syscall.h>
#include <unistd.h>

__thread int lk_in_vfork_child __attribute__((tls_model("initial-exec")));
/* What a vfork child mapped for its exec; the parent unmaps it. */
static __thread void *lk_vfork_map[2] __attribute__((tls_model("initial-exec")));
static __thread size_t lk_vfork_map_len[2] __attribute__((tls_model("initial-exec")));

int lk_vfork_is_child(void)
{
	int parent = lk_in_vfork_child;
	return parent && parent != (int)syscall(SYS_getpid);
}

void lk_vfork_note_map(void *p, size_t len)
{
	for (int i = 0; i < 2; i++)
		if (!lk_vfork_map[i]) {
			lk_vfork_map[i] = p;
			lk_vfork_map_len[i] = len;
			return;
		}
}

void lk_vfork_forget_map(void *p)
{
	for (int i = 0; i < 2; i++)
		if (p && lk_vfork_map[i] == p)
			lk_vfork_map[i] = NULL;
}

void lk_vfork_unmap(void)
{
	for (int i = 0; i < 2; i++)
		if (lk_vfork_map[i]) {
			lk_sys_munmap(lk_vfork_map[i], lk_vfork_map_len[i]);
			lk_vfork_map[i] = NULL;
		}
}
