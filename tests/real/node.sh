# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# node.sh - node running node_workload.js: worker_threads, child_process, zlib, fs, timers and
# promises, JSON and Buffers.
pkgs_node() { echo nodejs; }
limit_node() { echo 90; }
case_node() {
	lkr_under node "$(dirname "${BASH_SOURCE[0]}")/node_workload.js"
}
