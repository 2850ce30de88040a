# shellcheck shell=bash
# python3.sh - CPython (Debian's /usr/bin/python3) running python3_workload.py: threads,
# multiprocessing pools (fork and spawn), subprocess with pipes.
pkgs_python3() { echo python3; }
# multiprocessing fork children leave with os._exit.
trunc_ok_python3() { echo python3; }
limit_python3() { echo 90; }
case_python3() {
	lkr_under /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/python3_workload.py"
}
