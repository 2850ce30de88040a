/* SPDX-License-Identifier: MIT */
/* proc_alive.c - see proc_alive.h. */
#include "proc_alive.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Seconds since the epoch at which pid started, or -1. */
static double started_at(uint32_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the command name (which may hold spaces and parentheses). */
	const char *p = strrchr(buf, ')');
	unsigned long long ticks = 0;
	if (!p || sscanf(p + 2,
	                 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
	                 "%*d %llu",
	                 &ticks) != 1)
		return -1;
	f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	unsigned long long btime = 0;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "btime %llu", &btime) == 1)
			break;
	}
	fclose(f);
	long hz = sysconf(_SC_CLK_TCK);
	if (!btime || hz <= 0)
		return -1;
	return (double)btime + (double)ticks / (double)hz;
}

bool proc_alive(uint32_t pid, uint64_t start_ns)
{
	if (!pid)
		return false;
	double t = started_at(pid);
	/* btime is whole seconds and drifts with NTP: 2 s of slack. */
	return t >= 0 && fabs(t - (double)start_ns / 1e9) < 2.0;
}
