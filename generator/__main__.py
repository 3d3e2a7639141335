"""The `nim-gitops` process: `python -m generator` and the installed script both run `run()`.

Once the CLI has returned, every exit handler has run and the standard streams are flushed,
the process ends with `os._exit`, skipping the interpreter's teardown of its modules and
objects. That teardown writes nothing, and it took 40 to 100 ms of a one-second
`metadata generate` (docs/performance.md). The handler doing this is registered before the
CLI is imported, so handlers registered later (by the CLI or a library) run before it.
`generator.cli.main` returns normally, so the tests and the plugins that call it in-process
keep their interpreter.
"""

from __future__ import annotations

import atexit
import os
import sys

_status: list[int] = []


def _end_without_teardown() -> None:
    """The last exit handler: flush stdout and stderr, then end with the CLI's exit code."""
    if not _status:  # the CLI did not return (an unexpected exit): Python ends it as usual
        return
    code = _status[0]
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: the output was not all read
            code = code or 1
    os._exit(code)


def run() -> None:
    """Run the CLI and end the process with its exit code."""
    atexit.register(_end_without_teardown)
    from generator.cli import main

    code = main()
    _status.append(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
