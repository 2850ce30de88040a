# SPDX-License-Identifier: MIT
"""temp_loop.py - one Python line called from a plain loop leaves N temp files: CPython 3.11
calls os.open from tempfile's line through cfunction_vectorcall on the first calls and
straight from the specialized evaluation loop later, so the trace has two stacks for the line
that differ only in the interpreter's frames before the first Python frame.
Usage: TMPDIR=DIR temp_loop.py N DIR (a temp file is one made inside $TMPDIR, /tmp or /var/tmp)."""
import sys
import tempfile


def make_scratch(d):
    f = tempfile.NamedTemporaryFile(delete=False, dir=d)  # LINE scratch
    f.close()


for _ in range(int(sys.argv[1])):
    make_scratch(sys.argv[2])
