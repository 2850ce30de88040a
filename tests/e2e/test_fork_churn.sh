#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test_fork_churn.sh - forked children under LEAK_FOLLOW_FORK=1 (the default), where a child
# gets no writer thread until it needs one and short-lived children write their final
# snapshot from the exiting thread:
#   - 200 children, each leaking one block of its own size and ending with _exit or exit:
#     every child trace has PROCESS (ppid = the parent, forked), END with its status, and its
#     one leak at child_leak with the right size;
#   - a long-lived child that keeps allocating gets periodic snapshots, and so does one that
#     allocates too slowly to ever fill half a ring (the thread starts once a snapshot is due);
#   - a child killed by SIGTERM before it ever needed a thread still writes its final
#     snapshot (END reason signal, its leak) and still dies of SIGTERM;
#   - a single-threaded parent that forks and waits in a loop gets no writer thread from its
#     waits (it is still single-threaded at the end), yet still gets its periodic snapshots
#     and reaps every child; one SIGKILLed in such a wait still has its state before it
#     (its leak, from the snapshot the wait wrote);
#   - LEAK_FOLLOW_FORK=0: only the parent writes a trace.
# The program is built here from the heredoc below (gcc).
set -euo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

need "$LEAK_SO" "$LEAK_REPORT"
command -v gcc >/dev/null || fail "gcc not found"

src=$TMP/fork_churn.c
p=$TMP/fork_churn
cat >"$src" <<'EOF'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

void *volatile sink;

static int tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

__attribute__((noinline)) void child_leak(size_t n)
{
	char *p = malloc(n);
	if (p)
		memset(p, 1, n);
	sink = p;
	sink = NULL; /* lost: a leak */
}

__attribute__((noinline)) void child_churn(double seconds, int per_round, long pause_ns)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < per_round; i++) {
			void *q = malloc(64 + (size_t)i);
			sink = q;
			free(q);
		}
		struct timespec ts = {0, pause_ns};
		nanosleep(&ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "churn";
	int st;
	if (strcmp(mode, "churn") == 0) {
		int n = argc > 2 ? atoi(argv[2]) : 200;
		for (int i = 0; i < n; i++) {
			pid_t pid = fork();
			if (pid < 0)
				return 1;
			if (pid == 0) {
				child_leak(1000 + (size_t)i);
				if (i % 2)
					exit(i % 7);
				_exit(i % 7);
			}
			if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != i % 7)
				return 2;
		}
	} else if (strcmp(mode, "waitloop") == 0) {
		/* fork and wait for about a second and a half, allocating a little between */
		struct timespec t0, t;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do {
			pid_t pid = fork();
			if (pid < 0)
				return 1;
			if (pid == 0)
				_exit(0);
			sink = malloc(100);
			free(sink);
			if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
				return 2;
			clock_gettime(CLOCK_MONOTONIC, &t);
		} while ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < 1.5);
		printf("tasks %d\n", tasks());
	} else if (strcmp(mode, "killwait") == 0) {
		/* a leak, then a long wait for a child, during which the parent is SIGKILLed */
		pid_t pid = fork();
		if (pid == 0) {
			sleep(3);
			_exit(0);
		}
		child_leak(5151);
		printf("waiting\n");
		fflush(stdout);
		waitpid(pid, &st, 0);
	} else if (strcmp(mode, "long") == 0 || strcmp(mode, "slow") == 0) {
		/* slow: one malloc/free pair per 5 ms, never enough to fill half a ring */
		int slow = strcmp(mode, "slow") == 0;
		pid_t pid = fork();
		if (pid == 0) {
			child_leak(4242);
			child_churn(argc > 2 ? atof(argv[2]) : 2.0, slow ? 1 : 200,
			            slow ? 5000000 : 2000000);
			_exit(0);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
			return 2;
	} else if (strcmp(mode, "term") == 0) {
		int fds[2];
		if (pipe(fds) != 0)
			return 1;
		pid_t pid = fork();
		if (pid == 0) {
			child_leak(3131);
			if (write(fds[1], "r", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		char c;
		if (read(fds[0], &c, 1) != 1)
			return 1;
		kill(pid, SIGTERM);
		if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM)
			return 3;
	}
	printf("done %s\n", mode);
	return 0;
}
EOF
gcc -std=gnu11 -O1 -g -o "$p" "$src" || fail "cannot build $src"

# traced DIR [VAR=VALUE...] ARGS...: run the program under the preload (env, so timeout itself
# is not traced), traces in $TMP/DIR.
traced() {
	local d=$TMP/$1
	shift
	local vars=()
	while [ $# -gt 0 ] && [[ $1 == *=* ]]; do
		vars+=("$1")
		shift
	done
	mkdir -p "$d"
	local rc=0
	timeout -k 5 "$T_LIMIT" env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$d/t.%p.lkt" "${vars[@]}" "$p" "$@" \
		>"$d.out" 2>"$d.err" </dev/null || rc=$?
	assert_eq "$rc" 0 "exit status of fork_churn $*"
	[ ! -s "$d.err" ] || fail "stderr of fork_churn $*: $(head -3 "$d.err")"
}

note "200 short-lived children, each leaking one block"
traced churn churn 200
assert_eq "$(find "$TMP/churn" -name '*.lkt' | wc -l)" 201 "trace files (parent + 200 children)"
json=$("$LEAK_REPORT" --json "$TMP/churn")
parent=$(jq_get "$json" '[.processes[] | select(.forked | not)] | .[0].pid')
assert_jq "$json" '[.processes[] | select(.forked)] | length' 200 "forked children in the report"
assert_jq "$json" "[.processes[] | select(.forked and .ppid == $parent)] | length" 200 \
	"children whose ppid is the parent"
assert_jq "$json" '[.processes[] | select(.forked and .end_reason == "exit")] | length' 200 \
	"children with END (reason exit)"
assert_jq "$json" '[.processes[] | select(.forked and .snapshots >= 1 and (.exe | endswith("/fork_churn")))] | length' \
	200 "children with PROCESS (exe) and a snapshot"
# Child i leaks 1000+i bytes and exits with i%7: the pairs must all be there. The block is a
# leak or, after _exit (a stale copy of the pointer can stay on the stack), reachable: either
# way one finding at child_leak.
# shellcheck disable=SC2016 # jq variables, not shell ones
heap_at='def heap_at($f): (.kind == "leak" or .kind == "reachable") and any(.stack[0:4][]; .function == $f);'
heap_bytes="$heap_at"' [.processes[] | select(.forked) | .findings[] | select(heap_at("child_leak")) | .bytes] | add'
assert_jq "$json" "$heap_at"' [.processes[] | select(.forked) | [.findings[] | select(heap_at("child_leak"))] | select(length == 1) | .[0].bytes] | sort | . == [range(1000; 1200)]' \
	true "one leak of 1000+i bytes at child_leak in each child"
# shellcheck disable=SC2016 # jq variables, not shell ones
assert_jq "$json" "$heap_at"' [.processes[] | select(.forked) | [.findings[] | select(heap_at("child_leak"))][0].bytes as $b | select(.exit_status == (($b - 1000) % 7))] | length' \
	200 "each child's exit status"
assert_jq "$json" '[.processes[] | select(.forked and .dropped_events != 0)] | length' 0 "dropped events"

note "a long-lived child that keeps allocating gets periodic snapshots"
traced long LEAK_INTERVAL_MS=200 long 2.5
json=$("$LEAK_REPORT" --json "$TMP/long")
assert_jq "$json" '[.processes[] | select(.forked)] | length' 1 "one child"
snaps=$(jq_get "$json" '[.processes[] | select(.forked)][0].snapshots')
[ "$snaps" -ge 5 ] || fail "long-lived child: expected >= 5 snapshots at 200 ms over 2.5 s, got $snaps"
assert_jq "$json" '[.processes[] | select(.forked)][0].end_reason' exit "long-lived child: END"
assert_jq "$json" "$heap_bytes" 4242 "long-lived child: its leak"

note "a child that allocates slowly (never half a ring) still gets periodic snapshots"
traced slow LEAK_INTERVAL_MS=200 slow 2.5
json=$("$LEAK_REPORT" --json "$TMP/slow")
snaps=$(jq_get "$json" '[.processes[] | select(.forked)][0].snapshots')
[ "$snaps" -ge 4 ] || fail "slow child: expected >= 4 snapshots at 200 ms over 2.5 s, got $snaps"
assert_jq "$json" "$heap_bytes" 4242 "slow child: its leak"

note "a child killed by SIGTERM writes its final snapshot"
traced term term
json=$("$LEAK_REPORT" --json "$TMP/term")
assert_jq "$json" '[.processes[] | select(.forked)][0].end_reason' signal "SIGTERM child: END reason"
assert_jq "$json" "$heap_bytes" 3131 "SIGTERM child: its leak"

note "a single-threaded parent's waits start no thread; its snapshots still come"
traced waitloop LEAK_INTERVAL_MS=200 LEAK_SAMPLE=4096 waitloop
assert_eq "$(head -1 "$TMP/waitloop.out")" "tasks 1" "threads of the parent after its waits"
json=$("$LEAK_REPORT" --json "$TMP/waitloop")
snaps=$(jq_get "$json" '[.processes[] | select(.forked | not)][0].snapshots')
[ "$snaps" -ge 4 ] || fail "fork/wait parent: expected >= 4 snapshots at 200 ms over 1.5 s, got $snaps"
assert_jq "$json" '[.processes[] | .findings[] | select(.kind == "zombie")] | length' 0 \
	"fork/wait parent: no zombie"

note "a parent SIGKILLed in a long wait keeps the state it had before it"
mkdir -p "$TMP/killwait"
env LD_PRELOAD="$LEAK_SO" LEAK_OUT="$TMP/killwait/t.%p.lkt" LEAK_FOLLOW_FORK=0 "$p" killwait \
	>"$TMP/killwait.out" 2>"$TMP/killwait.err" </dev/null &
kw=$!
wait_for "$TMP/killwait.out" waiting 10
sleep 0.5
kill -KILL "$kw"
wait "$kw" 2>/dev/null || true
json=$("$LEAK_REPORT" --json "$TMP/killwait")
assert_jq "$json" '[.processes[] | select(.forked | not)][0].end_reason' null "SIGKILLed parent: no END"
assert_jq "$json" "$heap_at"' [.processes[] | select(.forked | not) | .findings[] | select(heap_at("child_leak")) | .bytes] | add' \
	5151 "SIGKILLed parent: its leak from the snapshot before the wait"

note "LEAK_FOLLOW_FORK=0: only the parent's trace"
traced nofollow LEAK_FOLLOW_FORK=0 churn 20
assert_eq "$(find "$TMP/nofollow" -name '*.lkt' | wc -l)" 1 "trace files with LEAK_FOLLOW_FORK=0"
