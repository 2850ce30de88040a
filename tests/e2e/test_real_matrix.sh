#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_real_matrix.sh - `make check`'s entry to the real-program matrix (tests/real/run.sh):
# python3, perl, bash, git, sqlite3, cc, make -j2, nginx, memcached, redis-server, node,
# java, a Go program with cgo, chromium, postgres, tmux and LibreOffice, each run natively
# and under libleak.so with stdout, exit status and every trace compared and read. Missing packages are installed as root; a program is skipped (a
# "SKIP: <program>: ..." line) only when its package cannot be installed.
# LEAK_REAL_PROGRAMS="git nginx" limits the run to some programs. Installing the packages on a
# fresh machine (a JDK, Go and LibreOffice among them) takes minutes, hence the longer bound:
# leak-test-timeout: 1500
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck disable=SC2086 # a list of program names
exec tests/real/run.sh ${LEAK_REAL_PROGRAMS:-}
