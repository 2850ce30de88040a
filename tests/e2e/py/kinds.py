# SPDX-License-Identifier: MIT
# kinds.py - one function per finding kind, for test_python.sh: the test asserts each finding
# names the function below and the line of its call (the LINE comments).
import ctypes
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

socks = []
procs = []
cache = {}
kept = []


def open_socket():
    socks.append(socket.socket())  # LINE open_socket


def spawn_child():
    procs.append(subprocess.Popen(["true"]))  # LINE spawn_child


def idle():
    time.sleep(60)


def start_thread():
    threading.Thread(target=idle, daemon=True).start()  # LINE start_thread


def leave_tempfile():
    fd, path = tempfile.mkstemp(prefix="lkpy-")  # LINE leave_tempfile
    os.close(fd)


def grow(i):
    cache[i] = (i, i + 1)  # LINE grow


def grow_for(seconds):
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        for _ in range(200):
            grow(i)  # LINE grow_for
            i += 1
        time.sleep(0.01)


@ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
def compare(a, b):
    socks.append(socket.socket())  # LINE compare
    return a[0] - b[0]


def sort_with_callback():
    arr = (ctypes.c_int * 2)(2, 1)
    libc = ctypes.CDLL(None)
    libc.qsort(arr, 2, ctypes.sizeof(ctypes.c_int), compare)  # LINE sort_with_callback


def run_deleted():
    ns = {}
    exec("def made_by_exec():\n    socks.append(socket.socket())\n", {"socks": socks, "socket": socket}, ns)
    ns["made_by_exec"]()  # LINE run_deleted
    del ns


for _ in range(3):
    open_socket()
spawn_child()
start_thread()
leave_tempfile()
sort_with_callback()
run_deleted()
grow_for(float(sys.argv[2]) if len(sys.argv) > 2 else 0)
time.sleep(0.3)  # the child has exited: a zombie until Popen's finalizer reaps it
