"""Helpers shared by the test suite: paths, running the CLI in-process, the real tools."""

from __future__ import annotations

import os
import re
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CRDS = SHARED / "crds"
FIXTURES = SHARED / "fixtures"
SNAPSHOT = FIXTURES / "snapshot" / "nim-models-data.yaml"
EU_LIST = FIXTURES / "snapshot" / "nim_eu_restricted.json"
EXAMPLES = REPO / "examples"
TOOLS_BIN = REPO / ".tools" / "bin"
# Not a real key: a made-up string with the nvapi- shape, recognisable when it leaks.
FAKE_KEY = "nvapi-FAKE-TEST-KEY-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"
# A `yaml.py` a hostile repository could commit: importing it leaves PWNED beside it.
HOSTILE_MODULE = (
    "import pathlib\n"
    "pathlib.Path(__file__).with_name('PWNED').write_text('repository code ran')\n"
)


@dataclass(frozen=True)
class Result:
    """What one CLI run produced."""

    code: int
    out: str
    err: str


def run_cli(args: list[str], *, input: str | None = None, env: dict[str, str] | None = None,
            ) -> Result:
    """Run `nim-gitops ARGS` in-process, capturing stdout and stderr separately."""
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as streams:
        code = main(args)
    return Result(code, streams[0].getvalue().decode(), streams[1].getvalue().decode())


def tool(name: str) -> str:
    """Path of a project-installed tool (helm, kubectl); the tests never use another copy."""
    path = TOOLS_BIN / name
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: run scripts/install-test-tools (make test does)")
    return str(path)


def kustomize_build(directory: Path) -> str:
    """`kubectl kustomize DIR` with the project-installed kubectl."""
    proc = subprocess.run([tool("kubectl"), "kustomize", str(directory)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def isolated_env(**extra: str) -> dict[str, str]:
    """The current environment without any real NGC key, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k != "NGC_API_KEY"}
    env.update(extra)
    return env



@contextmanager
def served(server: socketserver.BaseServer, poll: float = 0.5) -> Iterator[str]:
    """Run a loopback HTTP test server in a thread; yield its base URL, then stop it."""
    thread = threading.Thread(target=server.serve_forever, args=(poll,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def one_error_line(result: Result, code: int = 3) -> str:
    """The single `error: ...` line a failed command printed, checked for no traceback and no
    key."""
    assert result.code == code, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert "Traceback" not in result.err and FAKE_KEY not in result.err + result.out
    return lines[0]


_CONTEXT = re.compile(r"  (\d+| +) \| ")


def without_source_context(lines: list[str]) -> list[str]:
    """stderr lines without the quoted source a YAML error shows under its one-line message
    (`  6 | <the line>` and `    | <caret>`), which must come as that pair or not at all."""
    context = [line for line in lines if _CONTEXT.match(line)]
    assert len(context) in (0, 2), lines
    return [line for line in lines if not _CONTEXT.match(line)]
