# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# git.sh - git init, add, commit (twice), log, diff, gc (which spawns pack-objects) and fsck in
# a fresh repository, with author, committer and dates fixed so hashes and output compare.
pkgs_git() { echo git; }
limit_git() { echo 90; }
case_git() {
	export HOME=$PWD GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
	export GIT_AUTHOR_NAME="Lee Kay" GIT_AUTHOR_EMAIL=lee@example.org
	export GIT_COMMITTER_NAME="Lee Kay" GIT_COMMITTER_EMAIL=lee@example.org
	export GIT_AUTHOR_DATE="2026-01-02T03:04:05Z" GIT_COMMITTER_DATE="2026-01-02T03:04:05Z"
	export TZ=UTC LC_ALL=C
	lkr_under git init -q -b main repo
	cd repo || return 1
	mkdir -p src doc
	for i in $(seq 1 40); do
		printf 'int f%d(void) { return %d; }\n' "$i" "$i" >"src/f$i.c"
	done
	seq 1 500 >doc/numbers.txt
	lkr_under git add -A
	lkr_under git commit -q -m "first commit"
	sed -i 's/return 1;/return 100;/' src/f1.c
	seq 500 -1 1 >doc/numbers.txt
	lkr_under git rm -q src/f40.c
	lkr_under git add -A
	GIT_COMMITTER_DATE="2026-01-02T04:00:00Z" lkr_under git commit -q -m "second commit"
	lkr_under git log --stat --format='%H %an %ad %s' --date=iso
	lkr_under git diff --stat HEAD~1 HEAD
	lkr_under git diff HEAD~1 HEAD -- src/f1.c
	lkr_under git gc -q
	lkr_under git fsck --no-progress 2>&1
	lkr_under git rev-list --count HEAD
	lkr_under git count-objects -v | grep -E '^(count|in-pack|packs):'
}
