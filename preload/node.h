/* SPDX-License-Identifier: MIT */
/* node.h - JavaScript names for the V8 frames of a node process (node.c). At init, in a
 * process that is node (found by symbol), libleak adds --perf-basic-prof-only-functions
 * and --interpreted-frames-native-stack to NODE_OPTIONS (LEAK_NODE=0: not), so that V8 writes
 * /tmp/perf-PID.map, one "start size name" line per JavaScript function's code, interpreted
 * ones included (not builtins: node's symbols name those). The stack walk steps V8's code by
 * its frame pointers (walk.c); at each snapshot the writer reads the map's new lines and emits a
 * JS_CODE record for each line covering a frame of the STACKs it writes, so the report needs no map
 * file. */
#ifndef LEAK_PRELOAD_NODE_H
#define LEAK_PRELOAD_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "trace_codec.h"

/* Constructor context, guard held: finds node and sets NODE_OPTIONS (LEAK_NODE). */
void lk_node_init(void);

/* Any hook, guard held: puts the user's NODE_OPTIONS back (once), so that the program's
 * process.env and its children see their own. Called from the first pthread_create, which
 * node makes (its platform's workers) only after it parsed NODE_OPTIONS. */
void lk_node_restore_env(void);

/* Writer, snapshot lock held: JS_CODE records for the map lines covering the frames of
 * stacks from+1..upto that lie in no module (restart: into a new trace file). */
void lk_node_emit(trace_buf_t *b, uint32_t from, uint32_t upto);

/* A hook's new stream fd at path (any thread): 1 if it is V8's perf map or V8's log file
 * (isolate-0x...-PID-v8.log in the working directory, which --perf-basic-prof also makes) while
 * libleak turned them on: the fd is made close-on-exec, the log file removed at once, and
 * neither is the program's to report. */
int lk_node_own_file(int fd, const char *path);

/* Any thread, guard held: true if the descriptor whose creating stack is stack_id (path: its
 * file, or NULL) is node's runtime's own, held until exit by design: made inside
 * uv_default_loop (the main loop's epoll, eventfd and signal pipe), or /dev/null opened inside
 * uv_tcp_init_ex, uv_tcp_init, uv_pipe_init or uv_tty_init (libuv's reserve descriptor for
 * EMFILE, opened at a loop's first stream). One load when not node. */
bool lk_node_runtime_fd(uint32_t stack_id, const char *path);

/* At the final snapshot: removes the map file when libleak turned the map on. */
void lk_node_finish(void);

#endif
