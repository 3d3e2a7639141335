"""Writes are atomic per file: a failure leaves the previous file whole and no temp files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import staging, writer
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


def test_a_failure_before_the_renames_leaves_no_new_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is staged before the first rename: failing half-way leaves nothing."""
    real_create = staging.create_new
    calls = []

    def failing_create(path: str) -> int:
        calls.append(path)
        if len(calls) == 5:
            raise OSError(28, "No space left on device")
        return real_create(path)

    monkeypatch.setattr(staging, "create_new", failing_create)
    out = tmp_path / "out"
    result = run_cli(["render", str(EXAMPLES / "multi-project" / "nim-gitops.yaml"), "-o",
                      str(out)])
    assert result.code == 1 and "No space left on device" in result.err
    assert len(result.err.splitlines()) == 1 and "Traceback" not in result.err
    assert len(calls) == 5 and list(tmp_path.iterdir()) == []
