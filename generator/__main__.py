"""The `nim-gitops` process: `python -m generator` and the installed script both run `run()`.

Once the CLI has returned, the process flushes stdout and stderr and ends with `os._exit`,
skipping the interpreter's teardown of its modules and objects: that teardown writes nothing,
and it took 40 to 100 ms of a one-second `metadata generate` (docs/performance.md). It is
done by an exit handler registered before the CLI is imported, so every handler registered
during the run (by the CLI or a library) runs before it. When some handler was already
registered before `run()` (a sitecustomize, coverage's subprocess hook), it would run after
ours and be lost, so then the process ends the usual way. `run()` is only for starting the
process; in-process callers (the tests) call `generator.cli.main`, which returns normally.
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


def _no_handler_registered() -> bool:
    """True when no exit handler is registered yet (unknown counts as registered)."""
    count = getattr(atexit, "_ncallbacks", None)  # CPython's; absent elsewhere
    return count is not None and count() == 0


def run() -> None:
    """Run the CLI and end the process with its exit code."""
    if _no_handler_registered():
        atexit.register(_end_without_teardown)
    from generator.cli import main

    code = main()
    _status.append(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
