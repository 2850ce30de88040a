# SPDX-License-Identifier: MIT
"""frames_reuse.py - the captures a Python-frame memo could get wrong, each opening sockets
that stay open: one helper called from two lines of one loop (only the caller's line differs
between consecutive captures), a generator resumed from two lines (the same generator frame
under a caller that changes), functions compiled one after another and freed before the next
(a code object's address comes back for another function), and a recursion whose depth
changes between captures. Usage: frames_reuse.py N"""
import os
import socket
import sys

socks = []


def opener():
    socks.append(socket.socket())  # LINE opener


def two_callers(n):
    for _ in range(n):
        opener()  # LINE first_call
        opener()  # LINE second_call


def gen():
    while True:
        socks.append(socket.socket())  # LINE gen_open
        yield


def resume_from_two(n):
    g = gen()
    for _ in range(n):
        next(g)  # LINE resume_a
        next(g)  # LINE resume_b


def run_compiled(n):
    for i in range(n):
        ns = {}
        src = "def made_%d():\n    socks.append(socket.socket())\n" % i
        exec(compile(src, "gen_%d.py" % i, "exec"), {"socks": socks, "socket": socket}, ns)
        ns["made_%d" % i]()  # LINE run_made
        del ns, src


def down(k):
    if k:
        down(k - 1)  # LINE down_self
    else:
        socks.append(socket.socket())  # LINE down_open


def depths(n):
    for i in range(n):
        down(i % 3)  # LINE depths


n = int(sys.argv[1])
two_callers(n)
resume_from_two(n)
run_compiled(n)
depths(3 * n)
sys.stdout.flush()
os._exit(0)
