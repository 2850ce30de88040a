# SPDX-License-Identifier: MIT
# thread_pile.py N MODE - starts a thread every 75 ms for N rounds, each blocked forever and
# never joined (the leak: a growing pile of threads). The interpreter allocates a few KiB
# per thread (its state, its lock, the Thread object): many stacks grow in step with the
# pile. MODE "big": each round also appends 64 KiB to a list, growth no pile explains.
import sys
import threading
import time

stop = threading.Event()
kept = []


def worker():
    stop.wait()


def serve(rounds, big):
    for _ in range(rounds):
        t = threading.Thread(target=worker, daemon=True)
        t.start()
        if big:
            kept.append(bytearray(64 * 1024))
        time.sleep(0.075)


serve(int(sys.argv[1]), sys.argv[2] == "big")
