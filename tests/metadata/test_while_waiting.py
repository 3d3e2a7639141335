"""Work done while NGC answers: the `while_waiting` hook, background imports, and requests
that cost no import-path searches."""

from __future__ import annotations

import importlib.abc
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest

from generator.errors import AuthenticationError
from generator.metadata.fetch import run_probe
from generator.metadata.progress import Progress
from generator.ngc import NgcSettings
from generator.preload import Preload
from tests.helpers import FAKE_KEY, REPO
from tests.ngc_server import Answer, NgcServer, Seen, _caller


def _quiet(total: int) -> Progress:
    return Progress(total, quiet=True)


def test_the_hook_runs_once_the_key_check_is_out_and_before_its_answer(
        small: NgcServer) -> None:
    """The hook is for work done while the first round trip is out. The server holds the
    key check until the hook has run: a hook that ran only after the answer would never
    release it (and the hold would time out)."""
    ran = threading.Event()
    held: list[bool] = []
    calls: list[int] = []

    def caller(ngc: NgcServer, match: re.Match[str], seen: Seen) -> Answer:
        held.append(ran.wait(timeout=10))
        return _caller(ngc, match, seen)

    small.route("POST", r"/v3/keys/get-caller-info", caller)

    def hook() -> None:
        calls.append(1)
        ran.set()

    probe = run_probe(NgcSettings(url=small.base_url), FAKE_KEY, progress=_quiet,
                      while_waiting=hook)
    assert calls == [1] and held == [True]
    assert len(probe.entries) == 4


def test_a_refused_key_still_ends_the_run_after_the_hook(small: NgcServer) -> None:
    seen: list[int] = []
    with pytest.raises(AuthenticationError):
        run_probe(NgcSettings(url=small.base_url, retries=0), "nvapi-not-the-right-key",
                  progress=_quiet, while_waiting=lambda: seen.append(1))
    assert seen == [1]
    assert small.count("/repos/") == 0


def test_preload_imports_what_it_names_and_skips_what_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "preload_probe_module.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "preload_probe_module", raising=False)
    preload = Preload(["no_such_module_for_preload", "preload_probe_module"])
    preload.wait()  # not started yet: returns at once
    assert "preload_probe_module" not in sys.modules
    preload.start()
    preload.start()  # starts once only
    preload.wait()
    module = sys.modules["preload_probe_module"]
    assert isinstance(module, ModuleType) and module.VALUE == 42
    assert "no_such_module_for_preload" not in sys.modules


def test_preload_prepares_after_its_imports_and_skips_what_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "preload_prepared_module.py").write_text("VALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "preload_prepared_module", raising=False)
    seen: list[tuple[str, int]] = []

    def fails() -> None:
        raise ValueError("the main thread will do it again")

    def reads() -> None:  # runs after the imports, in the preload thread
        seen.append((threading.current_thread().name,
                     sys.modules["preload_prepared_module"].VALUE))

    preload = Preload(["preload_prepared_module"], prepare=(fails, reads))
    preload.start()
    preload.wait()
    assert seen == [("preload", 7)]


def test_a_thread_that_cannot_start_leaves_the_imports_to_the_main_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    preload = Preload(["preload_never_imported"])
    preload.start()  # no error: the run goes on without the background imports
    preload.wait()
    assert "preload_never_imported" not in sys.modules


class _Searches(importlib.abc.MetaPathFinder):
    """Records every module name the import system searches the path for."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> None:
        self.names.append(fullname)


def test_requests_search_the_import_path_for_nothing(ngc: NgcServer) -> None:
    """httpcore 1.0.9 imports sniffio for every lock it sets up; without sniffio installed
    (anyio no longer brings it) each import failed again and searched the whole path."""
    settings = NgcSettings(url=ngc.base_url)
    run_probe(settings, FAKE_KEY, progress=_quiet)  # the first run imports what it needs
    searches = _Searches()
    sys.meta_path.insert(0, searches)
    try:
        probe = run_probe(settings, FAKE_KEY, progress=_quiet)
    finally:
        sys.meta_path.remove(searches)
    assert len(probe.entries) > 100
    assert searches.names == []


def test_the_first_request_waits_for_no_yaml_import() -> None:
    """`metadata generate` imports the YAML emitter and writers while the catalog is
    requested (AFTER_PROBE), so nothing on the command's way to its first request may
    pull them in."""
    from generator.metadata.generate import AFTER_PROBE

    script = ("import sys, generator.cli, generator.commands.metadata, generator.keys\n"
              "import generator.metadata.generate, generator.metadata.fetch\n"
              "import generator.ngc.client, generator.transport.retry\n"
              f"print([m for m in {[*AFTER_PROBE, 'yaml']!r} if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=REPO, check=True)
    assert proc.stdout.strip() == "[]"
