# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# postgres.sh - PostgreSQL: initdb, the server started with pg_ctl (postmaster, checkpointer,
# walwriter, autovacuum, a backend per connection: all forked, single-threaded), pgbench -i and
# a short pgbench run over a Unix socket, a query, then pg_ctl stop. PostgreSQL refuses to run
# as root: as root the whole workload runs as the postgres user.
pkgs_postgres() { echo postgresql; }
limit_postgres() { echo 120; }
# Backends and helpers that leave through _exit before their first snapshot.
trunc_ok_postgres() { echo postgres; }
case_postgres() {
	local bin
	bin=$(find /usr/lib/postgresql -maxdepth 3 -name initdb -path '*/bin/*' | sort -V | tail -n 1)
	bin=${bin%/initdb}
	[ -x "$bin/pg_ctl" ] || {
		echo "no PostgreSQL binaries under /usr/lib/postgresql" >&2
		return 1
	}
	local as=()
	if [ "$(id -u)" = 0 ]; then
		# The run's directories must be reachable and writable by postgres.
		local d=$PWD
		while [ "$d" != / ]; do
			chmod o+x "$d" 2>/dev/null || true
			d=$(dirname "$d")
		done
		chmod 777 . "${LKR_TRACES:-.}"
		as=(runuser -u postgres --)
	fi
	local data=$PWD/data sock=$PWD port
	port=$(free_port)
	# shellcheck disable=SC2016 # expanded by that bash
	"${as[@]}" env PATH="$bin:$PATH" bash -c '
		under() { if [ "$LKR_MODE" = leak ]; then LD_PRELOAD=$LEAK_SO LEAK_OUT=$LKR_TRACES/leak.%e.%p.lkt "$@"; else "$@"; fi; }
		set -e
		under initdb -D "$1" -A trust -U postgres --no-sync >initdb.log 2>&1
		echo initdb ok
		under pg_ctl -D "$1" -o "-k $2 -p $3 -c listen_addresses= -c fsync=off" -l server.log -w start >/dev/null
		echo started
		under pgbench -h "$2" -p "$3" -U postgres -i -s 1 postgres >pgbench-init.log 2>&1
		under pgbench -h "$2" -p "$3" -U postgres -c 2 -t 100 -n postgres >pgbench.log 2>&1
		grep -E "^number of transactions actually processed" pgbench.log
		under psql -h "$2" -p "$3" -U postgres -At -c "select count(*), sum(abalance) = (select sum(delta) from pgbench_history) from pgbench_accounts" postgres
		under pg_ctl -D "$1" -w stop -m fast >/dev/null
		echo stopped
	' postgres-workload "$data" "$sock" "$port"
}
# check_postgres: the workload got to the end (the server stopped cleanly).
check_postgres() {
	grep -q '^stopped$' "$LKR_LEAK/stdout" || fail "postgres: the workload did not finish"
	grep -q '^100000|t$' "$LKR_LEAK/stdout" || fail "postgres: the accounts query"
}
