"""The examples (``python -m vectored EXAMPLE``) run and say what they should."""

from __future__ import annotations

import subprocess
import sys

import pytest

from vectored._examples import EXAMPLES

EXPECTED = {
    "basic": "writev_all wrote 48890 bytes from 5000 buffers",
    "mixed": "read back b'bytes|'",
    "perf": "vectored.writev_all",
    "nonblocking": "TimeoutError after",
    "http": "HTTP/1.1 200 OK",
    "largefile": "read back and verified",
    "errors": "IncompleteReadError: 5 of 10 bytes",
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vectored", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_runs(name: str) -> None:
    result = run(name)
    assert result.returncode == 0, result.stderr
    assert EXPECTED[name] in result.stdout, result.stdout


def test_every_example_is_checked() -> None:
    assert set(EXPECTED) == set(EXAMPLES)


def test_list_and_unknown() -> None:
    listed = run("--list")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(EXAMPLES)
    unknown = run("no-such-example")
    assert unknown.returncode == 2 and "unknown example" in unknown.stderr
