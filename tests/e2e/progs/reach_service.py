# SPDX-License-Identifier: MIT
"""reach_service.py - a small Python service for the exit scan: an HTTP server on a loopback
port and a worker thread that keeps rebuilding a table of dicts, stopped with SIGTERM. The
interpreter's objects live in its own mmap'd arenas (the default allocator, pymalloc), which
hold the pointers to its malloc'd memory: those arenas must be roots. Through ctypes it also
loses LOST_COUNT blocks of LOST_SIZE bytes from malloc, whose addresses it keeps nowhere (a
Python int holds its value in 30-bit digits, not as a pointer): those must stay leaks.
Prints "ready" once both are going."""
import ctypes
import http.server
import sys
import threading

LOST_COUNT, LOST_SIZE = 50, 777

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_size_t
libc.malloc.argtypes = [ctypes.c_size_t]
for _ in range(LOST_COUNT):
    libc.malloc(LOST_SIZE)

table = {}
started = threading.Event()


def work():
    i = 0
    while True:
        table[i % 5000] = {"key": [i, str(i) * 10, {"x": i}], "blob": bytes(200)}
        i += 1
        if i == 20000:
            started.set()


threading.Thread(target=work, daemon=True).start()
server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
started.wait()
print("ready", flush=True)
sys.stdout.flush()
server.serve_forever()
