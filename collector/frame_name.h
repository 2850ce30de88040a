/* SPDX-License-Identifier: MIT */
/* frame_name.h - names people can read. C++ demangled names shortened as heaptrack does
 * (template arguments elided to <...>, the return type dropped, std::__cxx11:: as std::), and
 * the test for a frame of the allocator or the standard library, so that every view showing a
 * few frames starts at the first frame of the user's code. JSON keeps the full names. */
#ifndef LEAK_COLLECTOR_FRAME_NAME_H
#define LEAK_COLLECTOR_FRAME_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "symbolizer.h"

/* The short form of a demangled name into buf (always terminated, cut at len - 1); returns
 * buf. A name without templates or a return type comes back unchanged; one still over 120
 * characters gets "(...)" for its parameters. */
char *frame_name_short(const char *full, char *buf, size_t len);

/* The short form with any parameter list longer than "(int)" as "(...)": for one-line
 * stacks (--diff) where several frames share a line. */
char *frame_name_compact(const char *full, char *buf, size_t len);

/* True for a frame of the C/C++ runtime or of a standard-library header: a function in
 * libc, libstdc++, libc++, libgcc_s or the dynamic loader, operator new/delete, or an inlined
 * std:: / __gnu_cxx:: function or one whose file is under /usr/include. */
bool frame_name_is_library(const struct sym_frame *f);

/* The index of the first frame of the user's code: the innermost Python or JavaScript frame
 * when only the interpreter's and library frames are above it, else the first frame that is
 * not a library one, or 0 when there is none (a stack wholly in the runtime is shown whole). */
size_t frame_name_first_user(const struct sym_stack *st);

/* Escapes what could drive a terminal for text output into buf: control bytes (\xNN, \n,
 * \t; DEL too), C1 controls and every byte of invalid UTF-8 (\xNN). Returns buf, or s itself
 * when there is nothing to escape. */
const char *frame_name_escape(const char *s, char *buf, size_t len);

#endif
