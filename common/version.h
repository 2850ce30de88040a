/* SPDX-License-Identifier: MIT */
/* version.h - the one version string of libleak.so, leak-report, leak-view and the scripts. */
#ifndef LEAK_COMMON_VERSION_H
#define LEAK_COMMON_VERSION_H

#define LEAK_VERSION_STRING "0.2.0"

#endif
