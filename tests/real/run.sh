#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh - the real-program matrix: run real programs natively and under libleak.so
# and prove the preload changes nothing: same stdout (after normalising what is truly
# nondeterministic), same exit status, within a time bound, and every trace written reads
# with `leak-report --json` (exit 0, not truncated). One line per program:
#   PASS python3 (12 traces, native 1s, libleak 2s)   FAIL git: ...   SKIP: java: ...
# and the closing line "N passed, N failed, N skipped". Exit 0 only if nothing failed.
#
# usage: tests/real/run.sh [--no-install] [PROGRAM...]     (default: all of them)
#        tests/real/run.sh --list
# Programs live in tests/real/<name>.sh, each defining case_<name> (the workload: it runs the
# program under test with lkr_under, clients natively) and optionally norm_<name> (a stdout
# filter), pkgs_<name> (the Debian packages it needs), limit_<name> (seconds per run) and
# trunc_ok_<name> (programs of the workload whose traces may be cut short, and why) and
# check_<name> (more assertions on the leak run's report, LKR_JSON).
# As root, missing packages are installed with apt-get (services are kept from starting);
# a program is skipped only when its package cannot be installed, and the line says why.
# Servers listen on a free loopback port chosen per run and are always stopped (trap).
# Run from the repo top after `make all`; BUILD selects the build dir (default build).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
self=$here/run.sh
ALL_PROGRAMS=(python3 perl bash git sqlite3 cc make nginx memcached redis node java go chromium
	postgres tmux libreoffice nginx_attach redis_attach python3_attach node_attach)

# --case NAME: one run of one workload, in the current directory, LKR_MODE from the caller
# (lkr_pair runs this twice under timeout). Only what the workload needs is loaded here.
if [ "${1:-}" = --case ]; then
	# shellcheck source=tests/real/lib.sh
	. "$here/lib.sh"
	# shellcheck source=tests/real/common.sh
	. "$here/common.sh"
	# shellcheck disable=SC1090 # one file per program
	. "$here/$2.sh"
	"case_$2"
	exit $?
fi

install=1
programs=()
for a in "$@"; do
	case $a in
	--no-install) install=0 ;;
	--list)
		printf '%s\n' "${ALL_PROGRAMS[@]}"
		exit 0
		;;
	-h | --help)
		sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "run.sh: unknown option $a" >&2
		exit 2
		;;
	*) programs+=("$a") ;;
	esac
done
[ ${#programs[@]} -gt 0 ] || programs=("${ALL_PROGRAMS[@]}")

cd "$here/../.."
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
# shellcheck source=tests/real/lib.sh
. tests/real/lib.sh
need "$LEAK_SO" "$LEAK_REPORT"
for p in "${programs[@]}"; do
	[ -f "tests/real/$p.sh" ] || fail "no such program in the matrix: $p (see --list)"
	# shellcheck disable=SC1090 # one file per program
	. "tests/real/$p.sh"
done

# --- packages ---------------------------------------------------------------------------
is_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# install_pkgs PKG...: apt-get install, with services kept from starting (policy-rc.d).
# Returns apt-get's status.
install_pkgs() {
	local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# tests/real/run.sh: no service starts while it installs\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		made_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	timeout "${APT_LIMIT:-240}" apt-get install -y -qq --no-install-recommends "$@" >"$TMP/apt.log" 2>&1 ||
		rc=$?
	[ "$made_policy" = 1 ] && rm -f "$policy"
	return "$rc"
}

declare -A skip_why=()
ensure_packages() {
	local p pkg missing=()
	for p in "${programs[@]}"; do
		if declare -F "pkgs_$p" >/dev/null; then
			for pkg in $("pkgs_$p"); do
				is_installed "$pkg" || missing+=("$pkg")
			done
		fi
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	# A fresh machine may have no package lists yet.
	if [ "$install" = 1 ] && [ "$(id -u)" -eq 0 ] && ! compgen -G '/var/lib/apt/lists/*Packages' >/dev/null; then
		timeout 300 apt-get update -qq >/dev/null 2>&1 || true
	fi
	# A JDK and LibreOffice are big: they get 120 s of their own, and java or libreoffice is
	# skipped (saying so) if that is not enough, so the rest of the matrix keeps its time
	# (make check bounds the whole test).
	local slow=() quick=()
	for pkg in "${missing[@]}"; do
		case $pkg in
		openjdk-* | libreoffice-*) slow+=("$pkg") ;;
		*) quick+=("$pkg") ;;
		esac
	done
	if [ ${#slow[@]} -gt 0 ] && [ "$install" = 1 ] && [ "$(id -u)" -eq 0 ]; then
		note "installing ${slow[*]} (at most 120 s)"
		APT_LIMIT=120 install_pkgs "${slow[@]}" ||
			note "apt-get install ${slow[*]} failed or took over 120 s: $(tail -n 1 "$TMP/apt.log")"
	fi
	[ ${#quick[@]} -gt 0 ] || missing=()
	[ ${#quick[@]} -eq 0 ] || missing=("${quick[@]}")
	if [ ${#missing[@]} -gt 0 ] && [ "$install" = 1 ] && [ "$(id -u)" -eq 0 ]; then
		note "installing ${missing[*]}"
		if ! install_pkgs "${missing[@]}"; then
			timeout 300 apt-get update -qq >/dev/null 2>&1 || true
			if ! install_pkgs "${missing[@]}"; then
				# One at a time, to skip only the programs whose own package fails.
				for pkg in "${missing[@]}"; do
					install_pkgs "$pkg" || note "apt-get install $pkg failed: $(tail -n 2 "$TMP/apt.log" | tr '\n' ' ')"
				done
			fi
		fi
	fi
	for p in "${programs[@]}"; do
		if declare -F "pkgs_$p" >/dev/null; then
			for pkg in $("pkgs_$p"); do
				if ! is_installed "$pkg"; then
					if [ "$(id -u)" -ne 0 ] || [ "$install" = 0 ]; then
						skip_why[$p]="package $pkg not installed and cannot be installed here (not root or --no-install): apt-get install $pkg"
					else
						skip_why[$p]="package $pkg not installable: $(tail -n 1 "$TMP/apt.log" 2>/dev/null)"
					fi
					break
				fi
			done
		fi
	done
}
ensure_packages

# --- the matrix -------------------------------------------------------------------------
passed=0
failed=0
skipped=0
failed_names=()
summary=()
for p in "${programs[@]}"; do
	if [ -n "${skip_why[$p]:-}" ]; then
		echo "SKIP: $p: ${skip_why[$p]}"
		skipped=$((skipped + 1))
		continue
	fi
	limit=60
	declare -F "limit_$p" >/dev/null && limit=$("limit_$p")
	norm=
	declare -F "norm_$p" >/dev/null && norm=norm_$p
	log=$TMP/$p.log
	rc=0
	# A subshell per program: fail() ends it, not the matrix.
	(
		# Every trace must be complete, except those of programs a workload names in
		# trunc_ok_<name> (with the reason there).
		ok=
		declare -F "trunc_ok_$p" >/dev/null && ok=$("trunc_ok_$p")
		LKR_WRAP=0 LKR_LIMIT=$((limit * ${LEAK_TEST_TIMEOUT_MULT:-1})) LKR_NORM=$norm \
			LKR_EXPECT_STATUS=0 LKR_TRUNC_OK_EXES=$ok lkr_pair "$p" "$self" --case "$p"
		[ "$LKR_ALLOCS" -gt 0 ] || fail "$p: the traces record no allocation at all: was the preload active?"
		if declare -F "check_$p" >/dev/null; then "check_$p"; fi
		echo "$LKR_N_TRACES $LKR_N_HEADER_ONLY $LKR_DROPPED $LKR_ALLOCS $(cat "$LKR_NATIVE/seconds") $(cat "$LKR_LEAK/seconds") $LKR_HEADER_ONLY_EXES" >"$TMP/$p.result"
	) >"$log" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		read -r n_tr n_ho dropped allocs ns ls ho_exes <"$TMP/$p.result"
		printf 'PASS %-10s %3d traces read (%s header-only%s), %s allocations recorded, %s dropped, native %ss, libleak %ss\n' \
			"$p" "$n_tr" "$n_ho" "${ho_exes:+: $ho_exes}" "$allocs" "$dropped" "$ns" "$ls"
		passed=$((passed + 1))
		summary+=("$p:$n_tr")
	else
		echo "FAIL $p"
		sed 's/^/    | /' "$log" | tail -n 40
		failed=$((failed + 1))
		failed_names+=("$p")
	fi
done
[ ${#summary[@]} -gt 0 ] && echo "traces read per program: ${summary[*]}"
[ "$failed" -gt 0 ] && echo "failed: ${failed_names[*]} (files kept in $TMP)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
