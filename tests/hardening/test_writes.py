"""Writes are atomic per file: a failure leaves the previous file whole and no temp files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import writer
from tests.helpers import EXAMPLES, run_cli


def test_an_interrupted_write_keeps_the_old_files(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "nim-gitops.yaml"
    config.write_text((EXAMPLES / "quickstart" / "nim-gitops.yaml").read_text("utf-8"))
    out = tmp_path / "out"
    assert run_cli(["render", str(config), "-o", str(out)]).code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    config.write_text(config.read_text("utf-8").replace("gpus: 1", "gpus: 2"))

    real_replace = os.replace
    calls = []

    def failing_replace(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(writer.os, "replace", failing_replace)
    result = run_cli(["render", str(config), "-o", str(out)])
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.err.startswith("error: ") and "No space left on device" in result.err
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before, "a failed write changed a file or left a temporary file behind"
