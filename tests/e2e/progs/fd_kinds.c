/* SPDX-License-Identifier: MIT */
/* fd_kinds.c - leaks one each of eventfd, timerfd, epoll (epoll_create1), signalfd, inotify and
 * memfd, each from its own function. signalfd on an existing descriptor only changes its mask
 * and must not count as a new descriptor; epoll_create+close is not a leak. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static volatile int sink;

__attribute__((noinline)) static void leak_eventfd(void)
{
	sink = eventfd(0, 0);
}

__attribute__((noinline)) static void leak_timerfd(void)
{
	sink = timerfd_create(CLOCK_MONOTONIC, 0);
}

__attribute__((noinline)) static void leak_epoll(void)
{
	sink = epoll_create1(0);
}

__attribute__((noinline)) static void leak_signalfd(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	int fd = signalfd(-1, &set, 0);
	sigaddset(&set, SIGUSR2);
	sink = signalfd(fd, &set, 0); /* same descriptor, new mask */
}

__attribute__((noinline)) static void leak_inotify(void)
{
	sink = inotify_init1(IN_CLOEXEC);
}

__attribute__((noinline)) static void leak_memfd(void)
{
	sink = memfd_create("lk-test-memfd", 0);
}

int main(void)
{
	close(epoll_create(4));
	leak_eventfd();
	leak_timerfd();
	leak_epoll();
	leak_signalfd();
	leak_inotify();
	leak_memfd();
	return 0;
}
