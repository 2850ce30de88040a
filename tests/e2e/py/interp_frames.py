# SPDX-License-Identifier: MIT
"""interp_frames.py - one Python line reached through different interpreter C paths: an
asyncio coroutine opens a socket (and every 5th call leaves a temp file) per request; CPython
3.11's adaptive interpreter and _asyncio run the first calls through other native frames than
the later ones, so the trace has two stacks for each line that differ only in the
interpreter's frames between the Python ones. Usage: TMPDIR=DIR interp_frames.py N DIR
(a temp file is one made inside $TMPDIR, /tmp or /var/tmp)."""
import asyncio
import socket
import sys
import tempfile

keep = []


async def handle(i, d):
    keep.append(socket.socket())  # LINE sock
    if i % 5 == 0:
        tempfile.NamedTemporaryFile(delete=False, dir=d).close()  # LINE temp
    await asyncio.sleep(0.001)


async def main(n, d):
    for i in range(n):
        await handle(i, d)


asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
