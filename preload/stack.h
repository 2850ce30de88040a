/* SPDX-License-Identifier: MIT */
/* stack.h - capture the calling stack and intern it. One call gives the stack id used in
 * every event; identical stacks get the same id. */
#ifndef LEAK_PRELOAD_STACK_H
#define LEAK_PRELOAD_STACK_H

#include <stdint.h>

/* Any thread, guard held. Captures the caller's stack (libleak frames dropped, at most
 * LEAK_DEPTH frames) and returns its interned id (>= 1), or 0 if it could not be captured
 * or the table is full. Never calls malloc; preserves errno. */
uint32_t lk_stack_capture(void);

/* lk_stack_capture, the walk starting from the frame record at frame: a libleak function's
 * own (__builtin_frame_address(0)), live on this thread's stack, whose caller's state the
 * walk begins with; a hook passes its own, so no libleak frame is stepped over. errno is the
 * caller's to preserve. */
uint32_t lk_stack_capture_at(const void *frame);

/* Constructor context, once: finds libleak's own text so its frames can be dropped. */
void lk_stack_init(void);

#endif
