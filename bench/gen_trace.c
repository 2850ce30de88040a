/* SPDX-License-Identifier: MIT */
/* gen_trace.c - writes a synthetic libleak trace (docs/FORMAT.md, version 1) shaped like a long
 * run of a real service, so `make bench` can time leak-report on an hour of data without
 * waiting an hour. Default: 3600 snapshots one second apart, 20,000 stacks. Most stacks
 * allocate a few blocks and then stay put; about 1,000 churn (allocs and frees every interval,
 * live count wandering); 100 grow (80 leak a block every snapshot, 20 every tenth); a quarter of
 * the stacks first appear during the first half of the run. Frames are addresses inside the
 * executable PT_LOAD segments of the MODULE files named on the command line (real ELF objects,
 * with their build-ids), so the symbolizer has real lookups to do. Deterministic for a seed.
 * Usage: gen_trace [--snapshots N] [--stacks N] [--interval-ms N] [--seed N] [--level N]
 *                  -o FILE MODULE...  */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "trace_codec.h"
#include "trace_format.h"
#include "varint.h"

#define MAX_MODULES 16
#define N_TRUNKS    48
#define TRUNK_MAX   8
#define MAX_DEPTH   40

typedef struct {
	const char *path;
	uint64_t base, lo, hi;
	uint64_t x_lo[8], x_hi[8]; /* executable segments, load-biased */
	int n_x;
	uint64_t x_total;
	uint8_t build_id[64];
	size_t build_id_len;
} module_t;

enum kind { STABLE, CHURN, GROW_FAST, GROW_SLOW };

typedef struct {
	uint8_t kind;
	uint32_t appear; /* snapshot at which the stack first allocates */
	uint32_t size;   /* block size of this site */
	uint64_t live_count, total_allocs, total_frees;
	uint64_t addr_next; /* next block address handed out by this stack */
	uint32_t churn_base;
} site_t;

static module_t mods[MAX_MODULES];
static int n_mods;
static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	/* splitmix64: fast, good enough, deterministic */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int grow_buf(trace_buf_t *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 1 << 16;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

static int load_module(module_t *m, const char *path, uint64_t base_hint)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "gen_trace: %s: %s\n", path, strerror(errno));
		return -1;
	}
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64) {
		fprintf(stderr, "gen_trace: %s: not a 64-bit ELF object\n", path);
		close(fd);
		return -1;
	}
	Elf64_Phdr ph[64];
	size_t phsize = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
	if (pread(fd, ph, phsize, (off_t)eh.e_phoff) != (ssize_t)phsize) {
		close(fd);
		return -1;
	}
	m->path = path;
	m->base = eh.e_type == ET_DYN ? base_hint : 0;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			uint64_t s = ph[i].p_vaddr & ~0xfffull, e = ph[i].p_vaddr + ph[i].p_memsz;
			lo = s < lo ? s : lo;
			hi = e > hi ? e : hi;
			if ((ph[i].p_flags & PF_X) && m->n_x < 8 && ph[i].p_filesz > 64) {
				m->x_lo[m->n_x] = m->base + ph[i].p_vaddr;
				m->x_hi[m->n_x] = m->base + ph[i].p_vaddr + ph[i].p_filesz;
				m->x_total += ph[i].p_filesz;
				m->n_x++;
			}
		} else if (ph[i].p_type == PT_NOTE && ph[i].p_filesz < (1 << 16) &&
		           !m->build_id_len) {
			uint8_t note[1 << 16];
			ssize_t n = pread(fd, note, ph[i].p_filesz, (off_t)ph[i].p_offset);
			size_t off = 0;
			while (n > 0 && off + sizeof(Elf64_Nhdr) <= (size_t)n) {
				Elf64_Nhdr nh;
				memcpy(&nh, note + off, sizeof nh);
				size_t name_off = off + sizeof nh;
				size_t desc_off = name_off + ((nh.n_namesz + 3) & ~3u);
				size_t next = desc_off + ((nh.n_descsz + 3) & ~3u);
				if (next > (size_t)n)
					break;
				if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
				    memcmp(note + name_off, "GNU", 4) == 0 &&
				    nh.n_descsz <= sizeof m->build_id) {
					memcpy(m->build_id, note + desc_off, nh.n_descsz);
					m->build_id_len = nh.n_descsz;
					break;
				}
				off = next;
			}
		}
	}
	close(fd);
	if (!m->n_x || lo >= hi) {
		fprintf(stderr, "gen_trace: %s: no executable PT_LOAD segment\n", path);
		return -1;
	}
	m->lo = m->base + lo;
	m->hi = m->base + hi;
	return 0;
}

/* A return address somewhere in module m's code. */
static uint64_t random_pc(const module_t *m)
{
	uint64_t off = rnd_below(m->x_total);
	for (int i = 0; i < m->n_x; i++) {
		uint64_t len = m->x_hi[i] - m->x_lo[i];
		if (off < len)
			return m->x_lo[i] + off;
		off -= len;
	}
	return m->x_lo[0];
}

/* The first module (the executable) holds most frames; shared objects get a share each. */
static uint64_t pool_pc(const uint64_t *pool, size_t n_pool)
{
	return pool[rnd_below(n_pool)];
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;
	while (n) {
		ssize_t w = write(fd, q, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Compresses the records in b into one chunk and appends it to fd; empties b. */
static int flush_chunk(int fd, trace_buf_t *b, void **zbuf, size_t *zcap, ZSTD_CCtx *cctx,
                       int level)
{
	if (b->err)
		return -1;
	size_t bound = ZSTD_compressBound(b->len);
	if (bound + TRACE_CHUNK_HEADER_SIZE > *zcap) {
		free(*zbuf);
		*zcap = bound + TRACE_CHUNK_HEADER_SIZE;
		*zbuf = malloc(*zcap);
		if (!*zbuf)
			return -1;
	}
	uint8_t *out = *zbuf;
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	size_t c = ZSTD_compress2(cctx, out + TRACE_CHUNK_HEADER_SIZE, bound, b->data, b->len);
	if (ZSTD_isError(c) || c > TRACE_CHUNK_MAX_COMPRESSED || b->len > TRACE_CHUNK_MAX_RAW)
		return -1;
	memcpy(out, TRACE_CHUNK_MAGIC, 4);
	put_le32(out + 4, (uint32_t)c);
	put_le32(out + 8, (uint32_t)b->len);
	b->len = 0;
	return write_all(fd, out, TRACE_CHUNK_HEADER_SIZE + c);
}

static void put_site(trace_buf_t *b, uint32_t id, const site_t *s)
{
	trace_enc_site(b, &(struct trace_rec_site){
	                      .stack_id = id,
	                      .live_bytes = s->live_count * s->size,
	                      .live_count = s->live_count,
	                      .total_allocs = s->total_allocs,
	                      .total_frees = s->total_frees,
	                      .total_alloc_bytes = s->total_allocs * s->size,
	                  });
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_trace [--snapshots N] [--stacks N] [--interval-ms N] "
	                "[--seed N] [--level N] -o FILE MODULE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint32_t n_snap = 3600, n_stacks = 20000, interval_ms = 1000;
	int level = 3;
	const char *out_path = NULL;
	int i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--snapshots"))
			n_snap = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--stacks"))
			n_stacks = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--interval-ms"))
			interval_ms = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed"))
			rng_state = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--level"))
			level = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-o"))
			out_path = argv[++i];
		else
			usage();
	}
	if (!out_path || i >= argc || n_snap < 2 || n_stacks < 200 || interval_ms == 0)
		usage();
	for (; i < argc && n_mods < MAX_MODULES; i++) {
		uint64_t hint = n_mods == 0 ? 0x555555554000ull
		                            : 0x7f0000000000ull + (uint64_t)n_mods * 0x10000000ull;
		if (load_module(&mods[n_mods], argv[i], hint) != 0)
			return 1;
		n_mods++;
	}

	/* A pool of return addresses: 6,000 in the executable, 1,500 in each other module. */
	size_t n_pool = 6000 + 1500 * (size_t)(n_mods - 1);
	uint64_t *pool = malloc(n_pool * sizeof *pool);
	site_t *sites = calloc((size_t)n_stacks + 1, sizeof *sites);
	uint32_t *changed = malloc(((size_t)n_stacks + 1) * sizeof *changed);
	uint64_t trunks[N_TRUNKS][TRUNK_MAX];
	int trunk_len[N_TRUNKS];
	if (!pool || !sites || !changed)
		return 1;
	for (size_t k = 0; k < n_pool; k++)
		pool[k] = random_pc(&mods[k < 6000 ? 0 : 1 + (k - 6000) / 1500]);
	/* Outer frames (main, event loop, request dispatch) are shared by many stacks. */
	for (int t = 0; t < N_TRUNKS; t++) {
		trunk_len[t] = 3 + (int)rnd_below(TRUNK_MAX - 2);
		for (int f = 0; f < trunk_len[t]; f++)
			trunks[t][f] = random_pc(&mods[0]);
	}

	/* Stack kinds and sizes. Ids 1..100 grow, 101..1100 churn, the rest are stable. */
	uint32_t n_grow = 100, n_churn = 1000;
	for (uint32_t id = 1; id <= n_stacks; id++) {
		site_t *s = &sites[id];
		s->kind = id <= n_grow             ? (id <= 80 ? GROW_FAST : GROW_SLOW)
		          : id <= n_grow + n_churn ? CHURN
		                                   : STABLE;
		s->size = (uint32_t)(16u << rnd_below(8)) + (uint32_t)rnd_below(64) * 8;
		s->appear = rnd_below(4) == 0 ? (uint32_t)rnd_below(n_snap / 2) : 0;
		s->churn_base = 4 + (uint32_t)rnd_below(60);
		s->addr_next = 0x10000000ull + (uint64_t)id * 0x4000000ull;
	}

	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "gen_trace: %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	uint8_t hdr[TRACE_HEADER_SIZE] = {0};
	memcpy(hdr, TRACE_MAGIC, TRACE_MAGIC_LEN);
	hdr[8] = TRACE_VERSION;
	hdr[10] = TRACE_HEADER_SIZE;
	if (write_all(fd, hdr, sizeof hdr) != 0)
		return 1;

	trace_buf_t b = {.grow = grow_buf};
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	void *zbuf = NULL;
	size_t zcap = 0;
	const uint64_t start_ns = 1767225600ull * 1000000000ull;
	const struct trace_str args[] = {trace_cstr(mods[0].path, TRACE_MAX_ARG_LEN),
	                                 trace_cstr("--serve", TRACE_MAX_ARG_LEN)};
	trace_enc_process(&b, &(struct trace_rec_process){
	                          .pid = 4242,
	                          .ppid = 1,
	                          .start_ns = start_ns,
	                          .interval_ms = interval_ms,
	                          .depth = 64,
	                          .exe = trace_cstr(mods[0].path, TRACE_MAX_STR - 1),
	                          .argc = 2,
	                          .argv = args,
	                      });
	/* Modules as the first writers wrote them (no flags field): none is libleak's own. */
	for (int m = 0; m < n_mods; m++)
		trace_enc_module(&b, &(struct trace_rec_module){
		                         .id = (uint64_t)m + 1,
		                         .base = mods[m].base,
		                         .lo = mods[m].lo,
		                         .hi = mods[m].hi,
		                         .path = trace_cstr(mods[m].path, TRACE_MAX_STR - 1),
		                         .build_id = {mods[m].build_id, mods[m].build_id_len},
		                     });

	uint64_t total_allocs = 0, total_frees = 0, total_bytes = 0, live_bytes = 0,
	         live_blocks = 0;
	for (uint32_t seq = 0; seq < n_snap; seq++) {
		int final = seq == n_snap - 1;
		/* STACK records for the stacks that start allocating now. */
		for (uint32_t id = 1; id <= n_stacks; id++) {
			if (sites[id].appear != seq)
				continue;
			uint64_t fr[MAX_DEPTH];
			int t = (int)rnd_below(N_TRUNKS);
			int depth = 6 + (int)rnd_below(MAX_DEPTH - 12);
			int n = 0;
			/* innermost: a call into the allocator from a module (libc's strdup etc.
			 * now and then), then the middle frames, then the shared trunk */
			fr[n++] = n_mods > 1 && rnd_below(8) == 0
			              ? pool_pc(pool + 6000, n_pool - 6000)
			              : pool_pc(pool, 6000);
			while (n < depth - trunk_len[t])
				fr[n++] = pool_pc(pool, n_pool);
			for (int f = 0; f < trunk_len[t] && n < MAX_DEPTH; f++)
				fr[n++] = trunks[t][f];
			trace_enc_stack(&b, &(struct trace_rec_stack){
			                        .id = id, .n = (uint32_t)n, .frames = fr});
		}
		/* Advance the counters; remember which stacks changed. */
		size_t n_changed = 0;
		for (uint32_t id = 1; id <= n_stacks; id++) {
			site_t *s = &sites[id];
			if (seq < s->appear)
				continue;
			uint64_t a = 0, f = 0;
			if (seq == s->appear) {
				a = 1 + rnd_below(s->kind == CHURN ? s->churn_base : 4);
			} else {
				switch (s->kind) {
				case GROW_FAST:
					a = 1 + rnd_below(3);
					f = a - 1;
					break;
				case GROW_SLOW:
					a = 2;
					f = seq % 10 ? 2 : 1;
					break;
				case CHURN: {
					uint64_t want =
					    s->churn_base / 2 + rnd_below(s->churn_base);
					a = 20 + rnd_below(200);
					f = s->live_count + a > want ? s->live_count + a - want : 0;
					if (f > s->live_count + a)
						f = s->live_count + a;
					break;
				}
				default:
					/* stable: a rare reallocation that leaves the live count
					 * unchanged */
					if (rnd_below(400) == 0)
						a = f = s->live_count ? 1 : 0;
					break;
				}
			}
			if (!a && !f)
				continue;
			s->total_allocs += a;
			s->total_frees += f;
			s->live_count = s->live_count + a - f;
			s->addr_next += a * ((s->size + 15) & ~15u);
			total_allocs += a;
			total_frees += f;
			total_bytes += a * s->size;
			changed[n_changed++] = id;
		}
		live_bytes = live_blocks = 0;
		for (uint32_t id = 1; id <= n_stacks; id++) {
			live_blocks += sites[id].live_count;
			live_bytes += sites[id].live_count * sites[id].size;
		}
		trace_enc_snapshot(&b,
		                   &(struct trace_rec_snapshot){
		                       .seq = seq,
		                       .t_ns = (uint64_t)seq * interval_ms * 1000000ull,
		                       .rss_bytes = 24ull * 1048576 + live_bytes + live_bytes / 4,
		                       .live_bytes = live_bytes,
		                       .live_blocks = live_blocks,
		                       .total_allocs = total_allocs,
		                       .total_frees = total_frees,
		                       .total_alloc_bytes = total_bytes,
		                       .flags = final ? TRACE_SNAP_FINAL : 0,
		                   });
		for (size_t k = 0; k < n_changed; k++)
			put_site(&b, changed[k], &sites[changed[k]]);
		if (final) {
			/* One BLOCK per live block: the newest live_count blocks of each stack. */
			for (uint32_t id = 1; id <= n_stacks; id++) {
				const site_t *s = &sites[id];
				uint64_t step = (s->size + 15) & ~15u;
				for (uint64_t k = 0; k < s->live_count; k++) {
					/* only the growing stacks leak: their blocks are
					 * unreachable */
					int leaks = s->kind == GROW_FAST || s->kind == GROW_SLOW;
					trace_enc_block(
					    &b, &(struct trace_rec_block){
					            .addr = s->addr_next - (k + 1) * step,
					            .size = s->size,
					            .stack_id = id,
					            .flags = leaks ? TRACE_BLOCK_SCANNED
					                           : TRACE_BLOCK_SCANNED |
					                                 TRACE_BLOCK_REACHABLE,
					        });
				}
			}
			trace_enc_end(&b,
			              &(struct trace_rec_end){
			                  .t_ns = (uint64_t)seq * interval_ms * 1000000ull + 1000,
			                  .reason = TRACE_END_EXIT,
			              });
		}
		if (flush_chunk(fd, &b, &zbuf, &zcap, cctx, level) != 0) {
			fprintf(stderr, "gen_trace: writing %s failed\n", out_path);
			return 1;
		}
	}
	if (close(fd) != 0)
		return 1;
	printf("snapshots %u stacks %u allocs %llu frees %llu live_blocks %llu live_bytes %llu\n",
	       n_snap, n_stacks, (unsigned long long)total_allocs, (unsigned long long)total_frees,
	       (unsigned long long)live_blocks, (unsigned long long)live_bytes);
	ZSTD_freeCCtx(cctx);
	free(zbuf);
	free(b.data);
	free(pool);
	free(sites);
	free(changed);
	return 0;
}
