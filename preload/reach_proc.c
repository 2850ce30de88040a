/* SPDX-License-Identifier: MIT */
/* reach_proc.c - the /proc text the reachability scan reads: small files read whole with raw
 * system calls (lk_sys_*) into the caller's buffers, /proc/self/maps searched for a mapping or
 * for the next readable one, and /proc/self/task/TID/syscall for a blocked thread's stack
 * pointer. No malloc, no stdio: it runs at exit, from the final snapshot. */
#include "reach_proc.h"
#include "sys.h"

#include <fcntl.h>
#include <string.h>

/* The hex number (0x optional) at *p; *p moves past it. */
static uintptr_t lk_reach_proc_hex(const char **p)
{
	uintptr_t v = 0;
	const char *s = *p;
	if (s[0] == '0' && s[1] == 'x')
		s += 2;
	for (;; s++) {
		unsigned d = (unsigned)(*s >= '0' && *s <= '9'   ? *s - '0'
		                        : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
		                                                 : 16);
		if (d == 16)
			break;
		v = v * 16 + d;
	}
	*p = s;
	return v;
}

int lk_reach_proc_line(const char **pp, lk_maps_line_t *l)
{
	const char *p = *pp, *eol = p;
	if (!*p)
		return 0;
	while (*eol && *eol != '\n')
		eol++;
	*pp = *eol ? eol + 1 : eol;
	memset(l, 0, sizeof(*l));
	l->start = lk_reach_proc_hex(&p);
	if (*p == '-')
		p++;
	l->end = lk_reach_proc_hex(&p);
	if (p < eol && *p == ' ')
		p++;
	for (int i = 0; i < 4 && p < eol; i++)
		l->perms[i] = *p++;
	/* offset, dev, inode, then the path */
	for (int field = 0; field < 3; field++) {
		while (p < eol && *p == ' ')
			p++;
		const char *f = p;
		while (p < eol && *p != ' ')
			p++;
		if (field == 2)
			for (; f < p; f++)
				l->inode = l->inode * 10 + (uintptr_t)(*f - '0');
	}
	while (p < eol && *p == ' ')
		p++;
	l->path = p;
	l->path_len = (size_t)(eol - p);
	return 1;
}

uintptr_t lk_reach_proc_next(const char *maps, uintptr_t addr)
{
	uintptr_t page = (addr | 4095) + 1, next = UINTPTR_MAX;
	const char *p = maps;
	if (!p)
		return page;
	while (*p) {
		uintptr_t s = lk_reach_proc_hex(&p);
		if (*p == '-')
			p++;
		uintptr_t e = lk_reach_proc_hex(&p);
		if (p[0] == ' ' && p[1] == 'r') {
			if (addr >= s && addr < e)
				return page;
			if (s > addr && s < next)
				next = s;
		}
		while (*p && *p != '\n')
			p++;
		if (*p)
			p++;
	}
	return next > page ? next : page;
}

int lk_reach_proc_mapping(const char *maps, uintptr_t addr, uintptr_t *start, uintptr_t *end)
{
	const char *p = maps;
	while (*p) {
		uintptr_t s = lk_reach_proc_hex(&p);
		if (*p == '-')
			p++;
		uintptr_t e = lk_reach_proc_hex(&p);
		int rw = p[0] == ' ' && p[1] == 'r' && p[2] == 'w';
		if (rw && addr >= s && addr < e) {
			*start = s;
			*end = e;
			return 0;
		}
		while (*p && *p != '\n')
			p++;
		if (*p)
			p++;
	}
	return -1;
}

uintptr_t lk_reach_proc_thread_sp(pid_t tid, char *buf, size_t cap)
{
	char path[64] = "/proc/self/task/";
	size_t n = strlen(path);
	n += lk_fmt_u64(path + n, (uint64_t)tid);
	memcpy(path + n, "/syscall", 9);
	if (lk_sys_read_file(path, buf, cap) <= 0 || buf[0] < '0' || buf[0] > '9')
		return 0;
	/* Fields: nr a1 a2 a3 a4 a5 a6 sp pc: the 8th. */
	const char *p = buf;
	for (int field = 0; field < 7; field++) {
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return *p == '0' ? lk_reach_proc_hex(&p) : 0;
}
