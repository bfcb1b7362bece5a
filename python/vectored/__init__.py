"""Scatter-gather (vectored) I/O done right.

Drop-in replacements for :func:`os.writev`, :func:`os.readv`, :func:`os.pwritev` and
:func:`os.preadv` (same arguments, results and exceptions), and loops that transfer
everything or raise an exception saying exactly how much was transferred:
:func:`writev_all`, :func:`pwritev_all`, :func:`readv_exact`, :func:`preadv_exact`.
Every ``OSError`` they raise is a :class:`TransferError`, which carries ``transferred``.
:mod:`vectored.asyncio` has the same for non-blocking sockets on an asyncio loop.

Example::

    import os, vectored

    r, w = os.pipe()
    vectored.writev_all(w, [b"HTTP/1.1 200 OK\\r\\n\\r\\n", memoryview(b"hello")])
"""

from __future__ import annotations

import sys

from vectored import _vectored
from vectored._errors import (
    TransferError,
    VectoredBlockingIOError,
    VectoredBrokenPipeError,
    VectoredConnectionResetError,
    VectoredTimeoutError,
)
from vectored._vectored import (
    IOV_MAX,
    IncompleteReadError,
    preadv,
    preadv_exact,
    pwritev,
    pwritev_all,
    readv,
    readv_exact,
    writev,
    writev_all,
)

__all__ = [
    "IOV_MAX",
    "IncompleteReadError",
    "TransferError",
    "VectoredBlockingIOError",
    "VectoredBrokenPipeError",
    "VectoredConnectionResetError",
    "VectoredTimeoutError",
    "preadv",
    "preadv_exact",
    "pwritev",
    "pwritev_all",
    "readv",
    "readv_exact",
    "writev",
    "writev_all",
]

if sys.platform == "linux":
    from vectored._vectored import (
        RWF_APPEND,
        RWF_ATOMIC,
        RWF_DONTCACHE,
        RWF_DSYNC,
        RWF_HIPRI,
        RWF_NOSIGNAL,
        RWF_NOWAIT,
        RWF_SYNC,
        recv_datagrams,
        send_datagrams,
    )

    __all__ += [
        "RWF_APPEND",
        "RWF_ATOMIC",
        "RWF_DONTCACHE",
        "RWF_DSYNC",
        "RWF_HIPRI",
        "RWF_NOSIGNAL",
        "RWF_NOWAIT",
        "RWF_SYNC",
        "recv_datagrams",
        "send_datagrams",
    ]

__version__: str = _vectored.__version__
