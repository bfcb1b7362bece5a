"""Fixtures: real pipes, socketpairs and files, a fd that is certainly bad, a watchdog
so that no test can hang the suite, and visible skips."""

from __future__ import annotations

import faulthandler
import os
import sys
import tempfile
from collections.abc import Generator, Iterator
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


# --- Visible skips -----------------------------------------------------------------------
# Like the Rust tests' `support::skip`: every skip, with its reason, is appended to the file
# named by VECTORED_SKIP_LOG (scripts/test lists them in its final summary), and under CI
# (CI=true) a skip fails the test unless its reason contains one of CI_MAY_LACK. Every
# machine CI runs on is Linux with CPython 3.9+, os.preadv/pwritev, signal.setitimer, and
# numpy (scripts/test-python installs it), so no skip of the current tests is expected there.
# A new test that may honestly skip on CI adds a fragment of its reason here.
CI_MAY_LACK: tuple[str, ...] = ()


def _on_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # (path, line, "Skipped: reason")
        reason = str(longrepr[2])
    else:
        reason = str(longrepr)
    return reason.removeprefix("Skipped: ").replace("\n", " ")


def _account_for_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    # An expected failure (xfail) is reported as skipped too; it is not a skip.
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report)
    if _on_ci() and sys.platform == "linux" and not any(f in reason for f in CI_MAY_LACK):
        report.outcome = "failed"
        report.longrepr = (
            f"{report.nodeid} would skip under CI=true, but every CI machine should have "
            f"what it needs (see CI_MAY_LACK in conftest.py): {reason}"
        )
        return
    log = os.environ.get("VECTORED_SKIP_LOG")
    if log:
        with open(log, "a") as f:
            f.write(f"python {report.nodeid}: {reason}\n")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    _account_for_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    # A whole module skipped at import (pytest.importorskip, pytest.skip(allow_module_level)).
    report = yield
    _account_for_skip(report)
    return report


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
