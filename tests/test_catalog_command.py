"""`nim-gitops catalog list`: the models and tags a config can use, one model per line."""

from __future__ import annotations

from pathlib import Path

from generator import catalog as catalog_mod
from tests.helpers import EXAMPLES, SNAPSHOT, run_cli


def _listed(out: str) -> dict[str, list[str]]:
    rows = {}
    for line in out.splitlines():
        name, _, rest = line.partition("  ")
        rows[name] = rest.strip().split("  (")[0].split(", ")
    return rows


def test_lists_every_model_of_the_sample_catalog_with_its_tags() -> None:
    result = run_cli(["catalog", "list"])
    assert result.code == 0, result.err
    rows = _listed(result.out)
    sample = catalog_mod.load_sample_catalog()
    assert sorted(rows) == sorted(sample.models)
    assert "mistral-7b-instruct-v0.3" in rows
    for name, entry in sample.models.items():
        assert sorted(rows[name]) == sorted(entry.tags)


def test_lists_a_given_catalog_and_the_one_a_config_names(tmp_path: Path) -> None:
    given = run_cli(["catalog", "list", "--catalog", str(SNAPSHOT)])
    assert given.code == 0 and len(given.out.splitlines()) == len(
        catalog_mod.load_catalog(SNAPSHOT))
    config = tmp_path / "nim-gitops.yaml"
    text = (EXAMPLES / "quickstart/nim-gitops.yaml").read_text("utf-8")
    (tmp_path / "cm.yaml").write_text(SNAPSHOT.read_text("utf-8"))
    config.write_text(text.replace("    templates: [http]\n",
                                   "    templates: [http]\n    catalog: {file: cm.yaml}\n"))
    assert run_cli(["catalog", "list", "--config", str(config)]).out == given.out


def test_a_missing_catalog_is_one_line(tmp_path: Path) -> None:
    for args in (["--catalog", str(tmp_path / "none.yaml")], ["--catalog", str(tmp_path)]):
        result = run_cli(["catalog", "list", *args])
        assert result.code == 1 and result.out == ""
        assert len(result.err.splitlines()) == 1 and str(tmp_path) in result.err
    assert run_cli(["catalog", "list", "--catalog", "a", "--config", "b"]).code == 2
