"""Progress on stderr: a bar on a terminal, a plain line now and then otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from generator.redact import scrub

BAR = 30


class Progress:
    """Counts finished requests; silent when `quiet`."""

    def __init__(self, total: int, *, label: str = "models", quiet: bool = False,
                 stream: TextIO | None = None, interval: float = 5.0) -> None:
        self.total = total
        self.done = 0
        self.label = label
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self._last = time.monotonic()

    def _write(self, text: str) -> None:
        self.stream.write(scrub(text))
        self.stream.flush()

    def advance(self, count: int = 1) -> None:
        """One more request finished."""
        self.done += count
        if self.quiet or self.total <= 0:
            return
        now = time.monotonic()
        if self.tty:
            if now - self._last >= 0.1 or self.done >= self.total:
                filled = BAR * self.done // self.total
                self._write(f"\r[{'#' * filled}{'.' * (BAR - filled)}] "
                            f"{self.done}/{self.total} {self.label}")
                self._last = now
        elif now - self._last >= self.interval:
            self._write(f"fetched {self.done}/{self.total} {self.label}\n")
            self._last = now

    def close(self) -> None:
        """End the bar's line."""
        if not self.quiet and self.tty and self.total > 0:
            self._write("\n")
