"""Ad-hoc check (fourth session of 2026-12-02): instructions per `writev_all` call for a
given build of the extension, counted by callgrind (exact on a noisy machine).

    valgrind --tool=callgrind --callgrind-out-file=OUT .venv/bin/python \\
        docs/experiments/python_writev_all_callgrind.py SO|- CALLS BUFFERS
    callgrind_annotate --inclusive=yes OUT | grep 'fast.rs:_vectored::fast::writev_all'

SO is a built `_vectored.abi3.so` (or `-` for the installed package); the script makes one
untimed call and then CALLS calls of `writev_all(/dev/null, BUFFERS x 100 B bytes)`, so the
inclusive cost of the METH_FASTCALL entry divided by CALLS + 1 is the cost per call.
Output: docs/bench/2026-12-02-s4-writev-all-callgrind.txt
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from typing import Any

so, calls, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
module: Any
if so == "-":
    import vectored as module
else:
    loader = importlib.machinery.ExtensionFileLoader("baseline._vectored", so)
    spec = importlib.util.spec_from_file_location("baseline._vectored", so, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
buffers = [bytes([i]) * 100 for i in range(count)]
fd = os.open("/dev/null", os.O_WRONLY)
write = module.writev_all
write(fd, buffers)
for _ in range(calls):
    write(fd, buffers)
