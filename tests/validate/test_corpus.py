"""Every broken manifest in corpus/ is reported with exactly the findings its header expects.

Each file starts with comment lines `# expect: RULE PATH` (RULE is a policy rule id, `schema`
or `error`); the run is strict, against the schemas built from ../shared/crds, for the target
named by a `# target: NAME` line (default: current).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from generator.validate import Status, ValidateOptions, validate_paths
from generator.validate.rules import BY_ID

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\S+) (\S+)$", re.MULTILINE)
TARGET = re.compile(r"^# target: (\S+)$", re.MULTILINE)


def _expected(path: Path) -> set[tuple[str, str]]:
    return set(EXPECT.findall(path.read_text("utf-8")))


def test_corpus_is_large_enough_and_covers_every_rule() -> None:
    assert len(FILES) >= 30
    expected_rules = {rule for path in FILES for rule, _ in _expected(path)}
    # NIM008 (ConfigMap size) needs files of 250 KiB and more: test_rules.py builds them
    assert set(BY_ID) - {"NIM008"} <= expected_rules
    assert {"schema", "error"} <= expected_rules


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_broken_manifest_is_reported(path: Path, strict_options: ValidateOptions) -> None:
    expected = _expected(path)
    assert expected, f"{path.name} has no '# expect:' header"
    target = TARGET.search(path.read_text("utf-8"))
    options = dataclasses.replace(strict_options, target=target[1] if target else "current")
    report = validate_paths([str(path)], options)
    found = {(f.rule, f.path) for _, f in report.problems()}
    assert found == expected, "\n".join(report)
    assert not report.ok
    assert any(r.status in (Status.INVALID, Status.ERROR) for r in report.results)
