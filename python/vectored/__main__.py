"""``python -m vectored [EXAMPLE ...]``: run the examples (all of them by default).

``python -m vectored --list`` lists them.
"""

from __future__ import annotations

import sys

from vectored._examples import EXAMPLES


def main(argv: list[str]) -> int:
    if argv in (["--list"], ["-l"]):
        for name, func in EXAMPLES.items():
            print(f"{name:12} {(func.__doc__ or '').strip().splitlines()[0]}")
        return 0
    if argv in (["--help"], ["-h"]):
        print(__doc__.strip())
        return 0
    unknown = [name for name in argv if name not in EXAMPLES]
    if unknown:
        print(f"unknown example(s): {', '.join(unknown)}; try --list", file=sys.stderr)
        return 2
    for name in argv or list(EXAMPLES):
        print(f"== {name}")
        EXAMPLES[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
