# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# perl.sh - perl running perl_workload.pl: hashes, regexes, sort, fork/waitpid, a pipe open
# and backticks.
pkgs_perl() { echo perl; }
case_perl() {
	lkr_under perl "$(dirname "${BASH_SOURCE[0]}")/perl_workload.pl"
}
