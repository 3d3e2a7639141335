"""Importing, while a command waits on the network, the modules it needs only afterwards.

`metadata generate` spends most of its run waiting for NGC. The YAML emitter and the file
writers (about 30 ms of imports) are needed only once every answer is in, so the command
imports them in a thread started once the key is accepted, while the catalog request is in
flight: the main thread is blocked on the socket then, so the imports cost no wall time.
The command waits for the thread before it goes on (`Preload.wait`), so the main thread
never imports a module that the thread is still importing. An import that fails in the
thread is skipped, left for the main thread to repeat and report.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence


class Preload:
    """Modules to import in a background thread, started on demand and waited for."""

    def __init__(self, modules: Sequence[str]) -> None:
        self.modules = tuple(modules)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start importing (once); returns at once."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="preload")
            self._thread.start()

    def wait(self) -> None:
        """Block until the thread, if started, has finished."""
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        for name in self.modules:
            try:
                importlib.import_module(name)
            except Exception:  # the main thread imports it again and reports the error
                continue
