"""The `nim-gitops` process skips the interpreter's teardown but loses nothing: its exit code,
all it wrote to stdout and stderr, and exit handlers registered while it ran."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

from tests.helpers import REPO, run_cli


def _process(*args: str, script: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m generator ARGS` (or `python -c SCRIPT`) with buffered output."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    command = [sys.executable, "-c", script] if script else [sys.executable, "-m", "generator",
                                                             *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO,
                          check=False)


def test_exit_codes_pass_through(tmp_path: Path) -> None:
    bad = tmp_path / "models.yaml"
    bad.write_text("kind: ConfigMap\ndata: [1]\n")
    assert _process("--version").returncode == 0
    assert _process("metadata", "validate", str(bad)).returncode == 1
    usage = _process("no-such-command")
    assert usage.returncode == 2 and "no-such-command" in usage.stderr


def test_long_output_through_a_pipe_is_complete(tmp_path: Path) -> None:
    doc = yaml.safe_load((REPO / "examples" / "quickstart" / "nim-gitops.yaml").read_text())
    project = doc["spec"]["projects"][0]
    doc["spec"]["projects"] = [{**project, "name": f"team-{i}"} for i in range(20)]
    config = str(tmp_path / "nim-gitops.yaml")
    Path(config).write_text(yaml.safe_dump(doc))
    in_process = run_cli(["render", config, "-o", "-"])
    assert in_process.code == 0, in_process.err
    assert len(in_process.out) > 64 * 1024  # more than a pipe holds: flushed in pieces
    process = _process("render", config, "-o", "-")
    assert process.returncode == 0, process.stderr
    assert process.stdout == in_process.out


def _run_with_handler(when: str, code: int) -> subprocess.CompletedProcess[str]:
    """`run()` with a stand-in CLI that prints, returns `code`, and has an exit handler
    registered `before` the run starts or `during` it."""
    register = 'atexit.register(lambda: print("handler ran"))'
    script = textwrap.dedent(f"""
        import atexit
        import generator.cli
        {register if when == "before" else ""}

        def main():
            {register if when == "during" else ""}
            print("main ran")
            return {code}

        generator.cli.main = main
        from generator.__main__ import run
        run()
    """)
    return _process(script=script)


def test_exit_handlers_registered_during_the_run_still_run() -> None:
    process = _run_with_handler("during", 3)
    assert process.returncode == 3, process.stderr
    assert process.stdout == "main ran\nhandler ran\n"  # "main ran" left in the buffer


def test_a_handler_registered_before_the_run_is_not_skipped() -> None:
    """A sitecustomize or coverage's subprocess hook registers before the CLI starts: it
    would run after a fast exit and be lost, so the process ends the usual way then."""
    process = _run_with_handler("before", 4)
    assert process.returncode == 4, process.stderr
    assert process.stdout == "main ran\nhandler ran\n"
