"""Writing output trees safely (issue #27, items 14, 15 and 26): a tampered file list removes
nothing of the user's, a CRLF checkout is the same tree, an interrupted run leaves no
staging behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.hardening.test_key_writers import _config
from tests.helpers import run_cli

# --- issue #27 item 26: an interrupted render leaves no staging behind ---------------------------

def _staging(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.tmp"))


def test_ctrl_c_while_writing_leaves_no_staging(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import writer

    out = tmp_path / "out"
    calls = {"n": 0}
    real_replace = writer.os.replace

    def interrupted(src: str, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(writer.os, "replace", interrupted)
    result = run_cli(["render", str(_config(tmp_path)), "-o", str(out)])
    assert result.code == 130
    assert _staging(out) == [] and not (out / writer.STAGING_MARKER).exists()


def test_the_next_render_removes_what_a_killed_one_staged(tmp_path: Path) -> None:
    """SIGKILL cannot be caught: the marker it leaves makes the next run remove the staging
    files beside the tree's own files, and nothing else."""
    from generator import writer

    config, out = _config(tmp_path), tmp_path / "out"
    assert run_cli(["render", str(config), "-o", str(out)]).code == 0
    (out / writer.STAGING_MARKER).touch()
    stale = [out / ".kustomization.yaml.k2j4x9qa.tmp",
             out / "projects/p/.kustomization.yaml.zz81_abc.tmp"]
    for path in stale:
        path.write_text("half", "utf-8")
    mine = out / ".notes.txt.abcdefgh.tmp"  # not beside a file of the tree: the user's
    mine.write_text("keep", "utf-8")
    assert run_cli(["render", str(config), "-o", str(out)]).code == 0
    assert _staging(out) == [".notes.txt.abcdefgh.tmp"]
    assert not (out / writer.STAGING_MARKER).exists()


# --- issue #27 item 15: a CRLF checkout is the same tree ------------------------------------------

def test_a_crlf_checkout_needs_no_force_and_passes_check(tmp_path: Path) -> None:
    config, out = _config(tmp_path), tmp_path / "out"
    assert run_cli(["render", str(config), "-o", str(out)]).code == 0
    for path in [p for p in out.rglob("*") if p.is_file()]:  # as git's core.autocrlf writes
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    check = run_cli(["render", str(config), "-o", str(out), "--check"])
    assert check.code == 0, check.err
    again = run_cli(["render", str(config), "-o", str(out)])
    assert again.code == 0, again.err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


# --- issue #27 item 14: a tampered file list removes nothing of the user's -----------------------

def test_a_tampered_file_list_cannot_delete_a_user_file(tmp_path: Path) -> None:
    import hashlib

    config, out = _config(tmp_path), tmp_path / "out"
    assert run_cli(["render", str(config), "-o", str(out)]).code == 0
    notes = out / "notes.md"
    notes.write_text("mine\n", "utf-8")
    deep = out / "projects" / "p" / "runbook.txt"
    deep.write_text("mine too\n", "utf-8")
    manifest = out / ".nim-gitops-files"
    extra = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  "
                    f"{p.relative_to(out).as_posix()}\n" for p in (notes, deep))
    manifest.write_text(manifest.read_text("utf-8") + extra, "utf-8")
    assert run_cli(["render", str(config), "-o", str(out)]).code == 0
    assert notes.read_text("utf-8") == "mine\n" and deep.read_text("utf-8") == "mine too\n"
