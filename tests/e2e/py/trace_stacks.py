# SPDX-License-Identifier: MIT
"""trace_stacks.py - reads a libleak trace (docs/FORMAT.md) with the zstd command and prints
five counts: STACK records, stack ids named by SITE and BLOCK records, those of the named ids
that no STACK record defines, and BLOCK records of blocks the exit scan reached and of the
others. Usage: python3 trace_stacks.py TRACE."""
import subprocess
import sys


def uvar(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


data = open(sys.argv[1], "rb").read()
pos = int.from_bytes(data[10:12], "little")
stacks, named = set(), set()
n_stack = reached = unreached = 0
REACHED = 0x1 | 0x2  # BLOCK.flags: REACHABLE | SCANNED
while pos + 12 <= len(data) and data[pos:pos + 4] == b"LKCK":
    clen = int.from_bytes(data[pos + 4:pos + 8], "little")
    raw = subprocess.run(["zstd", "-dcq"], input=data[pos + 12:pos + 12 + clen],
                         stdout=subprocess.PIPE, check=True).stdout
    pos += 12 + clen
    i = 0
    while i < len(raw):
        tag = raw[i]
        n, j = uvar(raw, i + 1)
        i = j + n
        if tag == 4:  # STACK: id first
            stacks.add(uvar(raw, j)[0])
            n_stack += 1
        elif tag == 6:  # SITE: stack_id first
            named.add(uvar(raw, j)[0])
        elif tag == 7:  # BLOCK: addr, size, stack_id, flags
            _, k = uvar(raw, j)
            _, k = uvar(raw, k)
            sid, k = uvar(raw, k)
            named.add(sid)
            if uvar(raw, k)[0] & REACHED == REACHED:
                reached += 1
            else:
                unreached += 1
print(n_stack, len(named), len(named - stacks), reached, unreached)
