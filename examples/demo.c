/* SPDX-License-Identifier: MIT */
/* demo.c - a small leaky "server" for `make demo` (scripts/leak-run -- build/demo).
 * It answers 2000 fake requests over about 2.5 seconds, so libleak takes a few snapshots.
 * Two bugs on purpose, everything else is freed:
 *   - cache_put() replaces a cached response without freeing the old one;
 *   - parse_request() forgets its scratch copy of the request when the request is malformed.
 * The report should name exactly those two functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHE_SLOTS 64

struct entry {
	char *key;
	char *value;
	struct entry *next;
};

static struct entry *cache[CACHE_SLOTS];
static unsigned cache_entries;

static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % CACHE_SLOTS;
}

static char *copy_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = malloc(n);
	if (copy)
		memcpy(copy, s, n);
	return copy;
}

/* Remembers the response for key. Never evicts; a newer response replaces the old one. */
static void cache_put(const char *key, const char *value)
{
	struct entry **slot = &cache[hash(key)];
	for (struct entry *e = *slot; e; e = e->next) {
		if (strcmp(e->key, key) == 0) {
			e->value = copy_string(value); /* BUG: the old value is lost */
			return;
		}
	}
	struct entry *e = malloc(sizeof(*e));
	if (!e)
		return;
	e->key = copy_string(key);
	e->value = copy_string(value);
	e->next = *slot;
	*slot = e;
	cache_entries++;
}

static void cache_clear(void)
{
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		while (cache[i]) {
			struct entry *e = cache[i];
			cache[i] = e->next;
			free(e->key);
			free(e->value);
			free(e);
		}
	}
}

/* "GET /item/<id>" gives id; anything else gives -1. */
static int parse_request(const char *line)
{
	char *scratch = copy_string(line);
	if (!scratch)
		return -1;
	char *method = strtok(scratch, " ");
	char *path = strtok(NULL, " ");
	if (!method || !path || strcmp(method, "GET") != 0 || strncmp(path, "/item/", 6) != 0)
		return -1; /* BUG: scratch is not freed on this path */
	int id = atoi(path + 6);
	free(scratch);
	return id;
}

static char *render_item(int id, int round)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "<item id=%d rendered-in-round=%d price=%d.%02d/>", id, round,
	         id * 3, (id * 7) % 100);
	return copy_string(buf);
}

int main(void)
{
	const struct timespec pause = {0, 25 * 1000 * 1000};
	unsigned served = 0, errors = 0;
	char line[64];

	for (int round = 0; round < 100; round++) {
		for (int i = 0; i < 20; i++) {
			int n = round * 20 + i;
			if (n % 7 == 6)
				snprintf(line, sizeof(line), "BREW /pot/%d", n % 10);
			else
				snprintf(line, sizeof(line), "GET /item/%d", n % 50);
			int id = parse_request(line);
			if (id < 0) {
				errors++;
				continue;
			}
			char *page = render_item(id, round);
			cache_put(line, page);
			free(page);
			served++;
		}
		if (round % 25 == 24)
			printf("round %3d: %u served, %u bad requests, %u cached pages\n",
			       round + 1, served, errors, cache_entries);
		nanosleep(&pause, NULL);
	}
	cache_clear();
	printf("done\n");
	return 0;
}
