"""Every command that reads stdin stops at the same cap (issue #27, item 20): `validate -` and
`schemas build -` read at most `MAX_INPUT_BYTES` and refuse more in one line, like `krm`."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.reading import MAX_INPUT_BYTES
from tests.helpers import run_cli

OVER = "# padding\n" + "#" * MAX_INPUT_BYTES  # a valid YAML comment one byte over the cap


@pytest.mark.parametrize("args", [["validate", "-"], ["schemas", "build", "-", "-o", "{out}"]])
def test_stdin_over_the_cap_is_refused(tmp_path: Path, args: list[str]) -> None:
    out = tmp_path / "out"
    result = run_cli([a.replace("{out}", str(out)) for a in args], input=OVER)
    assert result.code == 1
    assert f"more than {MAX_INPUT_BYTES:,} bytes on stdin" in result.out + result.err
    assert not out.exists()
