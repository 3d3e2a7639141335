"""Importing, while a command waits on the network, the modules it needs only afterwards
(and preparing what they will use: a schema read, its patterns compiled).

`metadata generate` spends much of its run waiting for NGC. The YAML emitter and the file
writers (tens of ms of imports) are needed only once every answer is in, so
the command imports them in a thread started as the key check and the first catalog page set
off: the main thread then waits on the sockets for a round trip, so the imports cost next to
no wall time (later, while answers pour in, the thread would hold up the event loop). A
refused key pays for imports it does not use. The command waits for the
thread before it uses those modules (`Preload.wait`). An import or a preparation that fails
in the thread is skipped, left for the main thread to repeat and report; a thread that cannot
be started (a process limit) leaves all of it to the main thread.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence


class Preload:
    """Modules to import in a background thread, then functions to call there (each must be
    safe to call again from the main thread), started on demand and waited for."""

    def __init__(self, modules: Sequence[str],
                 prepare: Sequence[Callable[[], object]] = ()) -> None:
        self.modules = tuple(modules)
        self.prepare = tuple(prepare)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start importing (once); returns at once."""
        if self._thread is not None:
            return
        thread = threading.Thread(target=self._run, name="preload")
        try:
            thread.start()
        except RuntimeError:  # "can't start new thread": the imports happen when needed
            return
        self._thread = thread

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
        for step in self.prepare:
            try:
                step()
            except Exception:  # the main thread does it again and reports the error
                continue
