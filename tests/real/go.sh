# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# go.sh - a Go program with cgo (go_workload.go, built natively first): goroutines, channels,
# C allocations through cgo, a subprocess, then a return from main and, in a second run,
# os.Exit(3). Go's runtime ends the process with its own exit_group system call, never through
# libc: both traces must still be complete and end with the exit status, and the ten 1000-byte
# C blocks must be reported.
pkgs_go() { echo golang-go; }
limit_go() { echo 120; }
case_go() {
	mkdir -p gosrc
	cp "$(dirname "${BASH_SOURCE[0]}")/go_workload.go" gosrc/main.go
	(cd gosrc && printf 'module workload\n\ngo 1.19\n' >go.mod &&
		HOME=$PWD GOCACHE=$PWD/.cache GOPATH=$PWD/.gopath GOFLAGS=-mod=mod GO111MODULE=on \
			go build -o ../workload .) || return 1
	lkr_under ./workload
	local rc=0
	lkr_under ./workload 3 || rc=$?
	echo "second run: status $rc"
}
# check_go: what only a Go trace can get wrong (LKR_JSON holds every trace of the leak run).
check_go() {
	local got
	got=$(jq -r '[.processes[] | select((.exe // "") | endswith("/workload"))
		| "\(.exit_status)/\(.truncated)"] | sort | join(" ")' <<<"$LKR_JSON")
	[ "$got" = "0/false 3/false" ] ||
		fail "go: the workload's traces end with '$got', expected '0/false 3/false' (status/truncated)"
	# Go's runtime handles every signal, real-time ones too, so the exit scan cannot stop its
	# threads: the scan is partial and what it did not reach is reachable, never leak
	# (README, Limits). The 2 x 10 blocks c_keep lost must still be recorded, with that reason.
	got=$(jq '[.processes[] | select((.exe // "") | endswith("/workload")) | .findings[]
		| select((.kind == "leak" or .kind == "reachable") and any(.stack[0:3][]; .function == "c_keep"))
		| .count] | add' <<<"$LKR_JSON")
	[ "$got" = 20 ] || fail "go: expected 2 x 10 blocks from c_keep, got $got"
	got=$(jq '[.processes[] | select((.exe // "") | endswith("/workload")) | select(.scan.partial
		or any(.findings[]; .kind == "leak" and any(.stack[0:3][]; .function == "c_keep")))]
		| length' <<<"$LKR_JSON")
	[ "$got" = 2 ] || fail "go: a reachable c_keep block without a partial scan to explain it"
}
