"""Fixtures: real pipes, socketpairs and files, a fd that is certainly bad, and a watchdog
so that no test can hang the suite."""

from __future__ import annotations

import faulthandler
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import Fds, bad_fd_number

# Every test must finish within this many seconds; past it, all thread stacks are dumped to
# WATCHDOG_LOG and the process exits, failing the run instead of hanging it. (pytest captures
# stderr at the file-descriptor level, so the dump goes to a file: scripts/test-python shows
# it when pytest fails.)
WATCHDOG_SECONDS = 120
WATCHDOG_LOG = os.environ.get(
    "VECTORED_WATCHDOG_LOG", os.path.join(tempfile.gettempdir(), "vectored-pytest-watchdog.log")
)
_watchdog_file = open(WATCHDOG_LOG, "w")  # noqa: SIM115 - open for the whole session


def pytest_report_header() -> str:
    return f"watchdog: {WATCHDOG_SECONDS} s per test, tracebacks to {WATCHDOG_LOG}"


def arm_watchdog(seconds: float) -> None:
    """(Re)arms the watchdog for the running test."""
    faulthandler.dump_traceback_later(seconds, exit=True, file=_watchdog_file)


@pytest.fixture(autouse=True)
def watchdog(request: pytest.FixtureRequest) -> Iterator[None]:
    _watchdog_file.write(f"running {request.node.nodeid}\n")
    _watchdog_file.flush()
    arm_watchdog(WATCHDOG_SECONDS)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def bad_fd() -> int:
    return bad_fd_number()


@pytest.fixture
def fds(tmp_path: Path) -> Iterator[Fds]:
    opened = Fds(tmp_path)
    try:
        yield opened
    finally:
        opened.close_all()
