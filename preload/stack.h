/* SPDX-License-Identifier: MIT */
/* stack.h - capture the calling stack and intern it. One call gives the stack id used in
 * every event; identical stacks get the same id. */
#ifndef LEAK_PRELOAD_STACK_H
#define LEAK_PRELOAD_STACK_H

#include <stdint.h>

/* Any thread, guard held. Captures the caller's stack (libleak frames dropped, at most
 * LEAK_DEPTH frames) and returns its interned id (>= 1), or 0 if it could not be captured
 * or the table is full. Never calls malloc. Inside a hook's LK_RECORD (hook.h) the walk
 * starts from the hook's frame record (lk_stack_hook_frame) and errno is the hook's to
 * preserve; elsewhere it starts here and errno is preserved. */
uint32_t lk_stack_capture(void);

/* The frame record of the hook recording on this thread (hook.h's LK_RECORD sets it inside
 * the guard and clears it before leaving), or NULL: where lk_stack_capture's walk starts, so
 * a descriptor, thread, fork or realloc capture begins at the program's frame with none of
 * libleak's to step over. */
extern __thread const void *lk_stack_hook_frame __attribute__((tls_model("initial-exec")));

/* lk_stack_capture, the walk starting from the frame record at frame: a libleak function's
 * own (__builtin_frame_address(0)), live on this thread's stack, whose caller's state the
 * walk begins with; a hook passes its own, so no libleak frame is stepped over. errno is the
 * caller's to preserve. */
uint32_t lk_stack_capture_at(const void *frame);

/* Constructor context, once: finds libleak's own text so its frames can be dropped. */
void lk_stack_init(void);

#endif
