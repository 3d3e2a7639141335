"""`nim-gitops values CONFIG`: the config's spec as Helm values, refused for another catalog."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from generator import yamlio
from tests.helpers import EXAMPLES, REPO, SNAPSHOT, run_cli

SCHEMA = json.loads((REPO / "charts/nim-gitops/values.schema.json").read_text("utf-8"))


def test_values_are_the_spec_and_match_the_schema() -> None:
    config = EXAMPLES / "multi-project/nim-gitops.yaml"
    result = run_cli(["values", str(config)])
    assert result.code == 0, result.err
    assert result.out.startswith("# Helm values for the nim-gitops chart")
    values = yaml.safe_load(result.out)
    assert values == yaml.safe_load(config.read_text("utf-8"))["spec"]
    Draft202012Validator.check_schema(SCHEMA)
    assert list(Draft202012Validator(SCHEMA).iter_errors(values)) == []


def _config_with_catalog(tmp_path: Path, catalog_text: str) -> Path:
    (tmp_path / "catalog.yaml").write_text(catalog_text, "utf-8")
    config = yaml.safe_load((EXAMPLES / "quickstart/nim-gitops.yaml").read_text("utf-8"))
    config["spec"]["platform"]["catalog"] = {"file": "catalog.yaml"}
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    return path


def test_a_different_catalog_is_refused_with_the_fix(tmp_path: Path) -> None:
    config = _config_with_catalog(tmp_path, SNAPSHOT.read_text("utf-8"))
    result = run_cli(["values", str(config)])
    assert result.code == 1
    assert "spec.platform.catalog.file" in result.err
    assert "nim-gitops chart --catalog" in result.err


def test_the_sample_catalog_as_a_file_is_accepted_and_file_dropped(tmp_path: Path) -> None:
    from generator.catalog import sample_catalog_text

    config = _config_with_catalog(tmp_path, sample_catalog_text())
    result = run_cli(["values", str(config)])
    assert result.code == 0, result.err
    assert "file" not in yaml.safe_load(result.out)["platform"]["catalog"]


def test_catalog_option_names_the_charts_catalog(tmp_path: Path) -> None:
    config = _config_with_catalog(tmp_path, SNAPSHOT.read_text("utf-8"))
    result = run_cli(["values", str(config), "--catalog", str(SNAPSHOT)])
    assert result.code == 0, result.err
    assert "the chart embeds nim-models-data.yaml" in result.out


def test_invalid_configs_are_refused_like_render(tmp_path: Path) -> None:
    config = yaml.safe_load((EXAMPLES / "quickstart/nim-gitops.yaml").read_text("utf-8"))
    config["spec"]["projects"][0]["deployments"][0]["model"] = "no-such-model"
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    result = run_cli(["values", str(path)])
    assert result.code == 1 and "is not in the catalog" in result.err


def test_values_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "values.yaml"
    config = EXAMPLES / "air-gapped/nim-gitops.yaml"
    assert run_cli(["values", str(config), "-o", str(out)]).code == 0
    assert yaml.safe_load(out.read_text("utf-8"))["airGap"]["mirror"] == "registry.example.com/nvcr"


def test_target_option_sets_the_target_of_the_values() -> None:
    """`--target` overrides the config's spec.platform.target; without it the config's stays."""
    config = EXAMPLES / "multi-project/nim-gitops.yaml"
    own = yaml.safe_load(config.read_text("utf-8"))["spec"]["platform"]["target"]
    for target in (None, "current", "redesign"):
        result = run_cli(["values", str(config), *(["--target", target] if target else [])])
        assert result.code == 0, result.err
        assert yaml.safe_load(result.out)["platform"]["target"] == (target or own)
    result = run_cli(["values", str(config), "--target", "future"])
    assert result.code == 2


def test_side_file_values_replace_the_file_fields_and_match_the_schema(tmp_path: Path) -> None:
    """The lock's digests and the details' anonymous models come in, the paths go out."""
    from generator.airgap.lock import lock_text
    from generator.metadata.extended import Details, details_json

    image = "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5"
    (tmp_path / "nim-gitops.lock.yaml").write_text(lock_text({image: "sha256:" + "a" * 64}))
    (tmp_path / "details.json").write_text(details_json(
        [Details("llama-3.1-8b-instruct", "1.15.5", guest_pull=True)]))
    config = yaml.safe_load((EXAMPLES / "air-gapped/nim-gitops.yaml").read_text("utf-8"))
    config["spec"]["airGap"]["pinDigests"] = True
    config["spec"]["platform"]["catalog"] = {"extended": "details.json"}
    config["spec"]["projects"] = [{"name": "p", "deployments": [
        {"name": "a", "model": "llama-3.1-8b-instruct", "tag": "1.15.5"}]}]
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    result = run_cli(["values", str(path)])
    assert result.code == 0, result.err
    values = yaml.safe_load(result.out)
    assert values["platform"]["catalog"] == {"anonymousPull": ["llama-3.1-8b-instruct"]}
    assert values["airGap"]["digests"] == {image: "sha256:" + "a" * 64}
    assert list(Draft202012Validator(SCHEMA).iter_errors(values)) == []
    assert run_cli(["values", str(path)]).out == result.out  # deterministic
