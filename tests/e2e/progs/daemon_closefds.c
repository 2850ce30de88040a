/* SPDX-License-Identifier: MIT */
/* daemon_closefds.c - a daemon-style start: closes every descriptor from 3 to 1023 (libleak's
 * own must survive, or the trace could not be written), then leaks one descriptor from
 * leak_after_closing and runs a little longer so at least one periodic snapshot happens. */
#include <fcntl.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noinline)) static void leak_after_closing(void)
{
	sink = open("/etc/hostname", O_RDONLY);
}

int main(void)
{
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	leak_after_closing();
	usleep(250000);
	return 0;
}
