"""What changed for QE: `metadata diff OLD NEW` and `generate --previous/--max-removed/--report`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import ModelEntry, configmap_yaml, load_catalog
from tests.helpers import SNAPSHOT, run_cli
from tests.metadata.conftest import Generate, entry
from tests.ngc_server import NgcServer

OLD = [entry("alpha"), entry("beta", "nim/nvidia"), entry("gone", "nim/acme")]
NEW = [entry("alpha", tags=("1.1.0", "1.0.0", "latest"), latest="1.1.0",
             displayName="Alpha Two", euRestricted=True),
       entry("beta", "nim/nvidia"),
       entry("fresh", "nim/acme", tags=("2.0.0",), latest="2.0.0")]


def _write(path: Path, docs: list[dict[str, Any]]) -> Path:
    path.write_text(configmap_yaml([ModelEntry.from_json_dict(d) for d in docs]), "utf-8")
    return path


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return _write(tmp_path / "old.yaml", OLD), _write(tmp_path / "new.yaml", NEW)


EXPECTED_JSON = {
    "summary": {"old": 3, "new": 3, "added": 1, "removed": 1, "changed": 1},
    "added": [{"name": "fresh", "namespace": "nim/acme", "displayName": "Fresh",
               "latestTag": "2.0.0", "euRestricted": False}],
    "removed": [{"name": "gone", "namespace": "nim/acme", "displayName": "Gone",
                 "latestTag": "1.0.0", "euRestricted": False}],
    "changed": [{"name": "alpha", "tagsAdded": ["1.1.0"], "tagsRemoved": [],
                 "displayName": {"old": "Alpha", "new": "Alpha Two"},
                 "latestTag": {"old": "1.0.0", "new": "1.1.0"},
                 "euRestricted": {"old": False, "new": True}}],
}


def test_diff_json(pair: tuple[Path, Path]) -> None:
    old, new = pair
    result = run_cli(["metadata", "diff", str(old), str(new), "--format", "json"])
    assert result.code == 0, result.err
    assert json.loads(result.out) == EXPECTED_JSON


def test_diff_markdown(pair: tuple[Path, Path]) -> None:
    old, new = pair
    result = run_cli(["metadata", "diff", str(old), str(new)])
    assert result.code == 0, result.err
    text = result.out
    assert text.startswith("# NIM model metadata changes\n")
    assert f"`{old}` (3 models) → `{new}` (3 models): 1 added, 1 removed, 1 changed." in text
    assert "## Added (1)" in text and "| fresh | nim/acme | Fresh | 2.0.0 | no |" in text
    assert "## Removed (1)" in text and "| gone | nim/acme | Gone | 1.0.0 | no |" in text
    changed = text[text.index("## Changed (1)"):]
    assert changed.splitlines()[2:] == [
        "### alpha",
        "- tags added: 1.1.0",
        '- displayName: "Alpha" → "Alpha Two"',
        '- latestTag: "1.0.0" → "1.1.0"',
        "- euRestricted: false → true",
    ]


def test_diff_tags_removed_and_no_changes(tmp_path: Path) -> None:
    old = _write(tmp_path / "a.yaml", [entry("m", tags=("2", "1", "latest"), latest="2")])
    new = _write(tmp_path / "b.yaml", [entry("m", tags=("2", "latest"), latest="2")])
    result = run_cli(["metadata", "diff", str(old), str(new), "--format", "json"])
    assert json.loads(result.out)["changed"] == [
        {"name": "m", "tagsAdded": [], "tagsRemoved": ["1"]}]
    same = run_cli(["metadata", "diff", str(SNAPSHOT), str(SNAPSHOT)])
    assert same.code == 0
    assert "0 added, 0 removed, 0 changed" in same.out and same.out.count("None.") == 3


def test_diff_of_an_invalid_file_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: ConfigMap\ndata: {a: '{'}\n")
    result = run_cli(["metadata", "diff", str(bad), str(SNAPSHOT)])
    assert result.code == 1 and str(bad) in result.err and "Traceback" not in result.err


# generate --previous / --max-removed / --report ---------------------------------------------
@pytest.fixture
def server() -> Any:
    with NgcServer(NEW) as ngc:
        yield ngc


@pytest.mark.parametrize("suffix", [".md", ".json"])
def test_generate_writes_the_same_report_as_diff(server: NgcServer, generate: Generate,
                                                 pair: tuple[Path, Path], tmp_path: Path,
                                                 suffix: str) -> None:
    old, _ = pair
    out = tmp_path / "out.yaml"
    report = tmp_path / f"report{suffix}"
    result = generate(server, "-o", str(out), "--previous", str(old), "--report", str(report),
                      "--max-removed", "1")
    assert result.code == 0, result.err
    fmt = "json" if suffix == ".json" else "markdown"
    diff = run_cli(["metadata", "diff", str(old), str(out), "--format", fmt])
    assert report.read_text("utf-8") == diff.out


def test_generate_report_counts_against_the_previous_file(server: NgcServer,
                                                          generate: Generate,
                                                          pair: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    old, _ = pair
    report = tmp_path / "r.json"
    result = generate(server, "-o", str(tmp_path / "out.yaml"), "--previous", str(old),
                      "--report", str(report), "--max-removed", "50%")
    assert result.code == 0, result.err
    data = json.loads(report.read_text())
    assert data["summary"] == {"old": 3, "new": 3, "added": 1, "removed": 1, "changed": 1}
    assert [m["name"] for m in data["added"]] == ["fresh"]
    assert [m["name"] for m in data["removed"]] == ["gone"]
    # the server does not know the EU list, so only tags, latestTag and display name moved
    assert data["changed"] == [{"name": "alpha", "tagsAdded": ["1.1.0"], "tagsRemoved": [],
                                "displayName": {"old": "Alpha", "new": "Alpha Two"},
                                "latestTag": {"old": "1.0.0", "new": "1.1.0"}}]


@pytest.mark.parametrize("limit", ["0", "10%", "33%"])
def test_a_suspicious_shrink_is_refused_and_nothing_is_written(
        server: NgcServer, generate: Generate, pair: tuple[Path, Path], tmp_path: Path,
        limit: str) -> None:
    old, _ = pair
    out, report = tmp_path / "out.yaml", tmp_path / "r.md"
    out.write_text("shipped\n")
    result = generate(server, "-o", str(out), "--previous", str(old), "--report", str(report),
                      "--max-removed", limit)
    assert result.code == 1
    assert f"1 of 3 models in {old} would be removed (gone)" in result.err
    assert f"more than --max-removed {limit} allows (0); nothing written" in result.err
    assert out.read_text() == "shipped\n" and not report.exists()


def test_default_limit_is_ten_percent_of_the_snapshot(generate: Generate,
                                                      tmp_path: Path) -> None:
    from tests.metadata.conftest import snapshot_entries

    docs = snapshot_entries()
    out = tmp_path / "out.yaml"
    with NgcServer(docs[19:]) as ngc:  # 19 of 186 gone: more than 10% (18)
        refused = generate(ngc, "-o", str(out), "--previous", str(SNAPSHOT))
    assert refused.code == 1 and "19 of 186 models" in refused.err and "(18)" in refused.err
    with NgcServer(docs[18:]) as ngc:
        allowed = generate(ngc, "-o", str(out), "--previous", str(SNAPSHOT))
    assert allowed.code == 0, allowed.err
    assert len(load_catalog(out)) == 168


@pytest.mark.parametrize(("args", "message"), [
    (["--report", "r.txt"], "must end in .md or .json"),
    (["--previous", "p.yaml", "--max-removed", "lots"], "expected a number or a percentage"),
])
def test_bad_report_options_are_usage_errors(server: NgcServer, generate: Generate,
                                             pair: tuple[Path, Path], tmp_path: Path,
                                             args: list[str], message: str) -> None:
    old, _ = pair
    args = [str(old) if a == "p.yaml" else str(tmp_path / a) if a == "r.txt" else a
            for a in args]
    result = generate(server, "-o", str(tmp_path / "out.yaml"), *args)
    assert result.code == 2 and message in result.err
    assert server.count("") == 0  # refused before NVIDIA was asked anything
    assert not (tmp_path / "out.yaml").exists()


def test_report_without_previous_lists_every_model_as_added(server: NgcServer,
                                                            generate: Generate,
                                                            tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    result = generate(server, "-o", str(tmp_path / "out.yaml"), "--report", str(report))
    assert result.code == 0
    assert "every model is reported as added" in result.err
    assert json.loads(report.read_text())["summary"]["added"] == 3
