# SPDX-License-Identifier: MIT
"""same_line.py - one Python line that opens sockets from two instruction offsets: CPython
3.11 compiles a while loop's condition twice (before the loop and at the end of its body), so
the first socket comes from one copy and the others from the second. Usage: same_line.py N"""
import os
import socket
import sys

keep = []


def opener(n):
    while len(keep) < n and keep.append(socket.socket()) is None:  # LINE opener
        pass


opener(int(sys.argv[1]))
os._exit(0)
