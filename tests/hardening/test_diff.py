"""`--diff` on every command that writes a tree (`chart`, `migrate render`, `schemas build`).

The contract is render's (tests/hardening/test_ownership.py): the report on stdout, one line
per unit (`added:`, `changed:` with a unified diff, `removed:`), the count on stderr, exit 0
when nothing would change and 1 otherwise, and nothing written. These trees are compared file
by file: their templates and schemas are not Kubernetes objects.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import ownership
from tests.hardening.test_ownership import MIGRATE_DATA, snapshot
from tests.helpers import CRDS, SNAPSHOT, Result, run_cli

ESO = ["--provider", "external-secrets", "--store", "vault-nim"]
LEGACY = str(MIGRATE_DATA / "legacy-modal.yaml")
NIMCACHES = str(CRDS / "apps.nvidia.com_nimcaches.yaml")
APPLICATIONS = str(CRDS / "argoproj.io_applications.yaml")
VAULTAUTHS = str(CRDS / "secrets.hashicorp.com_vaultauths.yaml")


def diff(args: list[str], out: Path) -> Result:
    """Run `args --diff` against `out` and check that nothing below it changed."""
    before = snapshot(out) if out.exists() else None
    result = run_cli([*args, "--diff"])
    assert "Traceback" not in result.err
    if before is None:
        assert not out.exists(), "--diff created the output directory"
    else:
        assert snapshot(out) == before, "--diff wrote into the output directory"
    return result


def write(args: list[str]) -> None:
    result = run_cli(args)
    assert result.code == 0, result.err


def assert_unchanged(result: Result, out: Path) -> None:
    assert result.code == 0 and result.out == ""
    assert result.err.splitlines()[-1] == f"{out}: no changes"


def units(result: Result) -> dict[str, list[str]]:
    """`added` / `changed` / `removed` -> the files the report names, diff lines left out."""
    found: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
    for line in result.out.splitlines():
        if not line.startswith("  "):
            state, _, name = line.partition(": ")
            found[state].append(name)
    return found


def count_line(result: Result, out: Path, added: int, changed: int, removed: int) -> None:
    assert result.err.splitlines()[-1] == (
        f"{out}: {added} added, {changed} changed, {removed} removed")


# chart
def test_chart_diff_unchanged_changed_added_and_removed(tmp_path: Path) -> None:
    out = tmp_path / "chart"
    args = ["chart", "-o", str(out)]
    write(args)
    assert_unchanged(diff(args, out), out)

    other_catalog = diff([*args, "--catalog", str(SNAPSHOT)], out)
    assert other_catalog.code == 1
    assert "files/catalog.json" in units(other_catalog)["changed"]
    assert "  --- files/catalog.json (on disk)" in other_catalog.out.splitlines()

    (out / "templates" / "NOTES.txt").unlink()
    stale = out / "templates" / "old.yaml"  # as if an earlier version had written it
    stale.write_text("# no longer produced\n")
    manifest = out / ownership.MANIFEST
    digest = ownership.digest(stale.read_bytes())
    manifest.write_text(manifest.read_text() + f"{digest}  templates/old.yaml\n")
    result = diff(args, out)
    assert result.code == 1
    assert units(result) == {"added": ["templates/NOTES.txt"], "changed": [],
                             "removed": ["templates/old.yaml"]}
    count_line(result, out, 1, 0, 1)


def test_chart_diff_of_a_new_directory_adds_every_file(tmp_path: Path) -> None:
    out = tmp_path / "new"
    result = diff(["chart", "-o", str(out)], out)
    assert result.code == 1
    assert {"Chart.yaml", "values.yaml", "templates/NOTES.txt"} <= set(units(result)["added"])


def test_chart_diff_shows_an_edited_file_and_what_writing_would_refuse(tmp_path: Path) -> None:
    out = tmp_path / "chart"
    write(["chart", "-o", str(out)])
    values = out / "values.yaml"
    values.write_text(values.read_text() + "edited: true\n")
    result = diff(["chart", "-o", str(out)], out)
    assert result.code == 1
    assert units(result)["changed"] == ["values.yaml"]
    assert "  -edited: true" in result.out.splitlines()
    assert f"chart would refuse: {values}" in result.err


@pytest.mark.parametrize("args", [["--check"], ["--catalog", "x.yaml", "--check"]])
def test_chart_diff_usage_errors(tmp_path: Path, args: list[str]) -> None:
    out = tmp_path / "out"
    result = run_cli(["chart", "-o", str(out), "--diff", *args])
    assert result.code == 2 and not out.exists()


# migrate render
def test_migrate_render_diff_unchanged_changed_added_and_removed(tmp_path: Path) -> None:
    out = tmp_path / "migrated"
    one = ["migrate", "render", LEGACY, "-o", str(out), *ESO, "--only", "mistral-7b"]
    write(one)
    assert_unchanged(diff(one, out), out)

    both = ["migrate", "render", LEGACY, "-o", str(out), *ESO]
    grown = diff(both, out)
    assert grown.code == 1
    found = units(grown)
    assert "fraud-detection/patches/servingruntime-llama-318b.yaml" in found["added"]
    assert found["changed"] == ["fraud-detection/kustomization.yaml"]
    assert "  +- path: patches/servingruntime-llama-318b.yaml" in grown.out.splitlines()

    other_store = diff([*one[:-2], "--store", "other-store", *one[-2:]], out)
    assert other_store.code == 1
    assert "  +    name: other-store" in other_store.out.splitlines()
    assert not units(other_store)["added"] and not units(other_store)["removed"]

    write(both)
    shrunk = diff(one, out)
    assert shrunk.code == 1
    assert "fraud-detection/live/servingruntime-llama-318b.yaml" in units(shrunk)["removed"]
    assert not units(shrunk)["added"]


def test_migrate_render_diff_with_nothing_to_migrate_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = diff(["migrate", "render", str(MIGRATE_DATA / "no-nim.yaml"), "-o", str(out),
                   *ESO], out)
    assert result.code == 0 and "nothing to migrate" in result.err


# schemas build
def test_schemas_build_diff_unchanged_changed_added_and_removed(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    args = ["schemas", "build", NIMCACHES, APPLICATIONS, "-o", str(out)]
    write(args)
    assert_unchanged(diff(args, out), out)

    opened = diff([*args, "--open"], out)
    assert opened.code == 1
    found = units(opened)
    assert found["changed"] and not found["added"] and not found["removed"]
    assert all(name.endswith(".json") for name in found["changed"])
    assert any(line.startswith("  -") and '"additionalProperties": false' in line
               for line in opened.out.splitlines())

    swapped = diff(["schemas", "build", NIMCACHES, VAULTAUTHS, "-o", str(out)], out)
    assert swapped.code == 1
    found = units(swapped)
    assert found["added"] and all(n.startswith("secrets.hashicorp.com/") for n in found["added"])
    assert found["removed"] and all(n.startswith("argoproj.io/") for n in found["removed"])
    assert not found["changed"]
    count_line(swapped, out, len(found["added"]), 0, len(found["removed"]))
