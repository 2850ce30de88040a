# SPDX-License-Identifier: MIT
"""killed_cache.py - a dict cache that never evicts, then SIGKILL: the trace has no final
snapshot, its heap is the interpreter's as the last periodic snapshot saw it.
Usage: killed_cache.py SECONDS (how long to grow before the kill)."""
import os
import signal
import sys
import time

cache = {}


def remember(i):
    cache[i] = "v" * 300 + str(i)  # LINE remember


end = time.monotonic() + float(sys.argv[1])
i = 0
while time.monotonic() < end:
    remember(i)
    i += 1
    if i % 100 == 0:
        time.sleep(0.005)
os.kill(os.getpid(), signal.SIGKILL)
