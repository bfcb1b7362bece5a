"""The exceptions the helpers raise after the buffers were accepted: the usual ``OSError``
subclass (chosen by ``errno``, so ``except BrokenPipeError`` still works), made a subclass
of :class:`TransferError` too, which declares ``transferred`` for type checkers."""

from __future__ import annotations

import errno as _errno


class TransferError(OSError):
    """An ``OSError`` raised by a loop after it accepted the buffers.

    ``transferred`` is exactly how many bytes were written or read before the error: the
    first ``transferred`` bytes of the buffers' concatenation, each once. The exception is
    also an instance of the subclass ``OSError(errno, ...)`` would be (``BrokenPipeError``,
    ``TimeoutError``, ``BlockingIOError``...).
    """

    transferred: int


class VectoredTimeoutError(TransferError, TimeoutError):
    """The deadline passed (*timeout*, or the socket's own timeout)."""


class VectoredBlockingIOError(TransferError, BlockingIOError):
    """The fd was not ready and the call was not to wait (*timeout* 0, a non-blocking
    socket). ``characters_written`` equals ``transferred``."""


class VectoredBrokenPipeError(TransferError, BrokenPipeError):
    """The reader is gone (``EPIPE``); ``SIGPIPE`` was not raised."""


class VectoredConnectionResetError(TransferError, ConnectionResetError):
    """The peer reset the connection."""


_CLASSES: dict[type[OSError], type[TransferError]] = {
    OSError: TransferError,
    TimeoutError: VectoredTimeoutError,
    BlockingIOError: VectoredBlockingIOError,
    BrokenPipeError: VectoredBrokenPipeError,
    ConnectionResetError: VectoredConnectionResetError,
}


def transfer_class(cls: type[OSError]) -> type[TransferError]:
    """The :class:`TransferError` subclass standing for the ``OSError`` subclass `cls`."""
    found = _CLASSES.get(cls)
    if found is None:
        found = type("Vectored" + cls.__name__, (TransferError, cls), {"__module__": __name__})
        _CLASSES[cls] = found
    return found


def with_transferred(exc: OSError, transferred: int) -> TransferError:
    """`exc` as the matching :class:`TransferError` subclass, with ``transferred`` set."""
    cls = _CLASSES.get(type(exc)) or transfer_class(type(exc))
    new = cls(*exc.args)
    new.transferred = transferred
    if isinstance(new, BlockingIOError):
        new.characters_written = transferred
    return new


def timeout_error(message: str, transferred: int) -> VectoredTimeoutError:
    """A :class:`VectoredTimeoutError` (``errno.ETIMEDOUT``) with ``transferred`` set."""
    exc = VectoredTimeoutError(_errno.ETIMEDOUT, message)
    exc.transferred = transferred
    return exc
