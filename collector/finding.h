/* SPDX-License-Identifier: MIT */
/* finding.h - one reportable problem, in the single shape every kind shares (kind, bytes,
 * count, stack) plus the fields some kinds add. Analyses append findings to a list;
 * finding_list_rank() orders it for every output. A new kind is one enum value before
 * FINDING_NKINDS, one name in finding.c, and a rank class. */
#ifndef LEAK_COLLECTOR_FINDING_H
#define LEAK_COLLECTOR_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum finding_kind {
	FINDING_LEAK,
	FINDING_REACHABLE,
	FINDING_FD,
	FINDING_ZOMBIE,
	FINDING_CHILD,
	FINDING_THREAD,
	FINDING_TEMPFILE,
	FINDING_GROWTH,   /* a stack whose live heap grows steadily (analyze_growth.c) */
	FINDING_RSS,      /* RSS grows while no stack and not the live heap does */
	FINDING_INDIRECT, /* leaked only through another leaked block (valgrind's "indirectly
	                   * lost"): freeing what holds it frees it, so it is not acted on alone */
	FINDING_NKINDS
};

/* The trend test's result (analyze_growth.c) for growth and rss findings, and for fd, thread
 * and zombie findings whose count grows (growing = true). Rates are per second over the
 * analysed window [window_start_s, window_end_s] (seconds since start); eta_s < 0: no
 * --limit or not growing. */
struct finding_trend {
	bool growing;
	double bytes_per_sec, count_per_sec, tau, p_value, eta_s;
	uint64_t first_bytes, last_bytes, first_count, last_count;
	double window_start_s, window_end_s;
};

struct finding {
	enum finding_kind kind;
	uint64_t bytes, count;
	/* leak: the indirect blocks it holds (leaked only through its blocks), summed. Ranked,
	 * filtered (--min-bytes) and gated (--fail-on leak>N) by bytes + held_bytes. */
	uint64_t held_bytes, held_count;
	uint32_t stack_id; /* 0: no stack */
	/* fd: fd_type, path, peer, api, ids = descriptor numbers, inherited_by_exec.
	 * zombie/child: ids = pids, state "running" for child. thread: ids = tids, state
	 * "unjoined"/"running". tempfile: path (the first), api, ids = indices into the model's
	 * tempfiles, paths[] the first few paths. Strings are borrowed from the model
	 * (or static); ids is owned by the list. */
	const char *fd_type, *path, *peer, *api, *state;
	uint32_t *ids;
	uint32_t n_ids, cap_ids;
	bool inherited_by_exec;
	struct finding_trend trend;
	/* growth_mark_piles(): a growing fd/thread/zombie pile that some growth findings follow
	 * (ranked with growth, after the growth it does not explain), and a growth finding that
	 * follows such a pile (ranked right after it). */
	bool leads_pile, follows_pile;
	/* fd (and tempfile): the group's distinct paths and peers, the first FINDING_MEMBERS of
	 * each in the order seen (borrowed), and how many more distinct ones there are. */
	const char *paths[8], *peers[8];
	uint32_t n_paths, n_peers, more_paths, more_peers;
};
#define FINDING_MEMBERS 8

struct finding_list {
	struct finding *items;
	size_t n, cap;
};

const char *finding_kind_name(enum finding_kind k);
/* Bit (1u << kind) for each name in a comma list ("leak,fd"). Returns 0, or -1 with e
 * filled ("unknown finding kind 'x'"). */
int finding_kinds_parse(const char *list, uint32_t *mask, struct err *e);
/* True for kinds measured in heap bytes (ranked first, filtered by --min-bytes). */
bool finding_kind_is_heap(enum finding_kind k);
/* Every kind but reachable: what a report leads with and --top counts. */
bool finding_kind_is_actionable(enum finding_kind k);
/* The number of actionable findings in l (ranked: they come first). */
size_t finding_list_actionable(const struct finding_list *l);

/* Appends a copy of f (ids empty) and returns it, or NULL on out of memory. */
struct finding *finding_list_add(struct finding_list *l, const struct finding *f);
/* Appends id to f's id list; -1 on out of memory. */
int finding_add_id(struct finding *f, uint32_t id);
void finding_list_fini(struct finding_list *l);
/* Kinds in the order leak, growth, rss, fd, zombie, thread, tempfile, child, reachable, then
 * by bytes, then by count; ties by kind and stack id so output is stable. Within growth: the
 * growth no pile explains, then the piles that lead some (leads_pile), then the growth that
 * follows them (follows_pile). */
void finding_list_rank(struct finding_list *l);
/* The same with growth and rss ahead of leak: for a process reported from its last snapshot
 * (killed, or still running), whose leaks are all of its live heap. */
void finding_list_rank_growth_first(struct finding_list *l);
/* True when some finding's kind is in mask. */
bool finding_list_matches(const struct finding_list *l, uint32_t mask);

#endif
