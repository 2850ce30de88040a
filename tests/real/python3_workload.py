# SPDX-License-Identifier: MIT
"""Workload for the real-program matrix (tests/real/python3.sh): threads, multiprocessing
(fork and spawn pools) and subprocess, with deterministic output only."""
import hashlib
import multiprocessing as mp
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor


def digest(n):
    data = b"".join(str(i).encode() for i in range(n))
    return hashlib.sha256(data).hexdigest()[:16]


def square_sum(n):
    return sum(i * i for i in range(n))


def main():
    with ThreadPoolExecutor(max_workers=4) as ex:
        for n, d in zip(range(1000, 9000, 1000), ex.map(digest, range(1000, 9000, 1000))):
            print("thread digest", n, d)

    lock = threading.Lock()
    counter = [0]

    def bump():
        for _ in range(20000):
            with lock:
                counter[0] += 1

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("counter", counter[0])

    for method in ("fork", "spawn"):
        ctx = mp.get_context(method)
        with ctx.Pool(2) as pool:
            print(method, "pool", pool.map(square_sum, [10, 100, 1000, 10000]))
        q = ctx.Queue()
        p = ctx.Process(target=q.put, args=(method + " child says hi",))
        p.start()
        print(q.get(timeout=30))
        p.join()
        print(method, "process exit", p.exitcode)

    out = subprocess.run(["sh", "-c", "printf 'b\\na\\nc\\n' | sort"], capture_output=True,
                         text=True, check=True)
    print("subprocess sort", out.stdout.split())
    p = subprocess.Popen(["tr", "a-z", "A-Z"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    up, _ = p.communicate("pipes work\n")
    print("popen tr", up.strip(), p.returncode)
    print("dicts", len({i: str(i) * 3 for i in range(100000)}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
