/* SPDX-License-Identifier: MIT */
/* py_embed_late.c - a C program that loads the Python interpreter after start: it dlopen()s
 * LIBPYTHON (RTLD_GLOBAL, as embedders do), runs Py_Initialize and PyRun_SimpleString through
 * dlsym, and the Python code opens a socket every 20 ms for SECONDS seconds in opener(),
 * keeping their descriptors (socket.detach(): finalization does not close them). Then
 * Py_FinalizeEx and dlclose, and after_finalize() opens /dev/null and keeps it (recording
 * goes on). Exits 0, or 1 when the library or a symbol is missing.
 * Usage: py_embed_late LIBPYTHON SECONDS */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int after_finalize(void)
{
	return open("/dev/null", O_RDONLY);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: py_embed_late LIBPYTHON SECONDS\n");
		return 2;
	}
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	void (*init)(void) = (void (*)(void))dlsym(h, "Py_Initialize");
	int (*run)(const char *) = (int (*)(const char *))dlsym(h, "PyRun_SimpleString");
	int (*fin)(void) = (int (*)(void))dlsym(h, "Py_FinalizeEx");
	if (!init || !run || !fin) {
		fprintf(stderr, "dlsym: %s\n", dlerror());
		return 1;
	}
	init();
	char code[1024];
	snprintf(code, sizeof(code),
	         "import socket, time\n"
	         "keep = []\n"
	         "def opener():\n"
	         "    keep.append(socket.socket().detach())\n" /* line 4 of <string> */
	         "end = time.monotonic() + %s\n"
	         "while time.monotonic() < end:\n"
	         "    opener()\n" /* line 7 */
	         "    time.sleep(0.02)\n"
	         "print('sockets', len(keep), flush=True)\n",
	         argv[2]);
	if (run(code) != 0)
		return 1;
	fin();
	dlclose(h);
	after_finalize();
	return 0;
}
