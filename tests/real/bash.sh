# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# bash.sh - bash itself (a second bash, under the preload) running bash_workload.sh: pipes,
# subshells, command and process substitution, background jobs, here-documents.
pkgs_bash() { echo bash coreutils; }
case_bash() {
	lkr_under bash "$(dirname "${BASH_SOURCE[0]}")/bash_workload.sh"
}
