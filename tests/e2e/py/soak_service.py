# SPDX-License-Identifier: MIT
"""soak_service.py - a threaded http.server service for test_python_soak.sh (standard library
only), with the bugs of a typical Python backend in "leaky" mode and none in "fixed" mode.
Each GET /doc/N:
  backend_call()   connects to a backend (a TCP listener in this process); leaky keeps the
                   socket open forever, fixed closes it
  remember()       stores the rendered document (~8 KB) in a module-level dict; leaky keys it
                   by request (grows with every request), fixed by N % 16 (a bounded cache)
  convert()        every 24th request, runs a converter subprocess (true); leaky keeps the
                   Popen and never waits (zombies pile up), fixed waits for it
  start_watcher()  leaky starts a thread per request that never ends; fixed starts none
  write_scratch()  writes a temp file with tempfile.mkstemp; leaky never removes it, fixed does
Prints "listening 127.0.0.1:PORT"; on SIGTERM prints "served N" and exits 0.
Usage: soak_service.py leaky|fixed TMPDIR"""
import http.server
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

mode = sys.argv[1]
leaky = mode == "leaky"
tmpdir = sys.argv[2]
served = 0
held = []     # leaky: sockets and Popen objects kept forever
cache = {}    # the module-level cache
lock = threading.Lock()

backend = socket.socket()
backend.bind(("127.0.0.1", 0))
backend.listen(128)
backend_port = backend.getsockname()[1]


def backend_loop():
    while True:
        c, _ = backend.accept()
        held.append(c) if leaky else c.close()


def backend_call():
    s = socket.create_connection(("127.0.0.1", backend_port))  # LINE backend_call
    if leaky:
        held.append(s)
    else:
        s.close()


def remember(n, seq):
    key = seq if leaky else n % 16
    cache[key] = ("<p>document %d</p>" % n) * 400  # LINE remember


def convert():
    p = subprocess.Popen(["true"])  # LINE convert
    if leaky:
        held.append(p)
    else:
        p.wait()


def watcher():
    while True:
        time.sleep(3600)


def start_watcher():
    if leaky:
        threading.Thread(target=watcher, daemon=True).start()  # LINE start_watcher


def write_scratch(n):
    fd, path = tempfile.mkstemp(prefix="soak-", dir=tmpdir)  # LINE write_scratch
    os.write(fd, b"scratch %d\n" % n)
    os.close(fd)
    if not leaky:
        os.unlink(path)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global served
        n = int(self.path.rsplit("/", 1)[-1] or 0)
        with lock:
            served += 1
            seq = served
        backend_call()
        remember(n, seq)
        if seq % 24 == 0:
            convert()
        start_watcher()
        write_scratch(n)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def stop(signum, frame):
    print("served %d" % served, flush=True)
    sys.exit(0)


threading.Thread(target=backend_loop, daemon=True).start()
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
signal.signal(signal.SIGTERM, stop)
print("listening 127.0.0.1:%d" % server.server_address[1], flush=True)
server.serve_forever()
