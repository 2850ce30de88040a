# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# python3.sh - CPython (Debian's /usr/bin/python3) running python3_workload.py: threads,
# multiprocessing pools (fork and spawn), subprocess with pipes.
pkgs_python3() { echo python3; }
# Pool.terminate() (at the end of each "with Pool") SIGTERMs the workers; one that is hit
# right after fork has sometimes left a header-only trace (reported to the preload owners).
trunc_ok_python3() { echo python3; }
limit_python3() { echo 90; }
case_python3() {
	lkr_under /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/python3_workload.py"
}
