/* SPDX-License-Identifier: MIT */
/* sig_reraise.c - a program that handles SIGTERM itself and then dies of it the default way,
 * which replaces libleak's handler. Each mode loses 10 blocks of 77 bytes (lose_blocks), then
 * sends itself SIGTERM:
 *   resethand  node's way: a handler installed with SA_RESETHAND and every signal blocked
 *              calls raise(SIGTERM); the signal kills as the handler returns
 *   dfl        the C idiom: the handler calls signal(SIGTERM, SIG_DFL), then raise(SIGTERM)
 *   kill       the same with kill(getpid(), SIGTERM)
 *   sigwait    SIGTERM set back to SIG_DFL and blocked, a thread takes it with sigwait: the
 *              kill(getpid(), SIGTERM) ends nothing; the program then loses 5 more blocks of
 *              99 bytes and exits 0
 *   abrt       a crash reporter's way: a SIGABRT handler that calls signal(SIGABRT, SIG_DFL)
 *              and raise(SIGABRT), reached by abort() */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink;

__attribute__((noinline)) static void lose_blocks(int n, size_t size)
{
	for (int i = 0; i < n; i++) {
		sink = malloc(size);
		memset(sink, 1, size);
	}
	sink = NULL;
}

static void on_term_reraise(int signo)
{
	raise(signo);
}

static void on_term_dfl(int signo)
{
	signal(signo, SIG_DFL);
	raise(signo);
}

static void on_term_kill(int signo)
{
	signal(signo, SIG_DFL);
	kill(getpid(), signo);
}

static void *taker(void *arg)
{
	sigset_t *set = arg;
	int signo = 0;
	sigwait(set, &signo);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	lose_blocks(10, 77);
	if (!strcmp(mode, "resethand")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term_reraise;
		sa.sa_flags = SA_RESETHAND;
		sigfillset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
	} else if (!strcmp(mode, "dfl")) {
		signal(SIGTERM, on_term_dfl);
	} else if (!strcmp(mode, "kill")) {
		signal(SIGTERM, on_term_kill);
	} else if (!strcmp(mode, "abrt")) {
		signal(SIGABRT, on_term_dfl);
		printf("aborting\n");
		fflush(stdout);
		abort();
	} else if (!strcmp(mode, "sigwait")) {
		static sigset_t set;
		pthread_t t;
		signal(SIGTERM, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		if (pthread_create(&t, NULL, taker, &set) != 0)
			return 1;
		kill(getpid(), SIGTERM); /* process-directed: the sigwait thread takes it */
		pthread_join(t, NULL);
		lose_blocks(5, 99);
		printf("sigwait done\n");
		return 0;
	} else {
		fprintf(stderr, "usage: sig_reraise resethand|dfl|kill|sigwait|abrt\n");
		return 2;
	}
	printf("raising\n");
	fflush(stdout);
	kill(getpid(), SIGTERM);
	for (;;)
		pause();
}
