# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# tmux.sh - a tmux server started detached (it daemonizes: fork, setsid, the parent's _exit),
# a pane running a shell command, a second window, capture-pane and list-windows from clients,
# then kill-server. Clients and server talk over a socket in the work directory.
pkgs_tmux() { echo tmux; }
# The pane's shell and sleep are killed by SIGHUP when the server goes (caught: complete);
# the server's forked intermediate leaves through _exit before its first snapshot.
trunc_ok_tmux() { echo tmux; }
case_tmux() {
	local s=$PWD/tmux.sock
	# shellcheck disable=SC2016 # expanded by the pane's shell
	lkr_under tmux -S "$s" -f /dev/null new-session -d -s t -x 80 -y 24 \
		'printf "hello from tmux %s\n" $((6 * 7)); exec sleep 30'
	lkr_under tmux -S "$s" new-window -d -t t: 'exec sleep 30' # t: the session, next free index
	for _ in $(seq 1 100); do
		lkr_under tmux -S "$s" capture-pane -p -t t:0 | grep -q hello && break
		sleep 0.05
	done
	lkr_under tmux -S "$s" capture-pane -p -t t:0 | grep hello
	lkr_under tmux -S "$s" list-windows -t t -F '#{window_index} #{window_panes}'
	lkr_under tmux -S "$s" kill-server
	# Until the server is gone (polled natively: no trace per poll).
	for _ in $(seq 1 100); do
		tmux -S "$s" has-session 2>/dev/null || break
		sleep 0.05
	done
	echo "server gone"
}
# check_tmux: the pane's output was captured.
check_tmux() {
	grep -q '^hello from tmux 42$' "$LKR_LEAK/stdout" || fail "tmux: capture-pane did not show the pane's output"
}
