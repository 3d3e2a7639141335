"""`metadata generate` hardening (issue #27, items 21, 22 and 24): output paths that name the
same file, schema rules applied while generating, key-shaped text in one model's answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator import yamlio
from generator.catalog import load_catalog
from tests.helpers import FAKE_KEY, run_cli
from tests.metadata.conftest import Generate, entry
from tests.ngc_server import RECORDED, NgcServer

PLACEHOLDER = "nvapi-XXXXXXXXXXXX"
RECORDED_ID = "nim/meta/llama-3.1-8b-instruct"


def _one_line_usage_error(code: int, err: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error:"), err


def _validates(path: Path) -> None:
    result = run_cli(["metadata", "validate", str(path)])
    assert result.code == 0, result.err
    assert result.out.startswith(f"ok {path}")


def _recorded(**changes: Any) -> dict[str, Any]:
    """The recorded repo answer of llama-3.1-8b-instruct, with `changes` applied."""
    doc: dict[str, Any] = json.loads((RECORDED / "model_tags.json").read_text("utf-8"))
    doc.update(changes)
    return doc


def _no_text_anywhere(tmp_path: Path, text: str, *streams: str) -> None:
    for stream in streams:
        assert text not in stream
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert text not in path.read_text("utf-8", "replace"), path


# item 21: -o, --extended and --report must name three different files ------------------------

@pytest.mark.parametrize("args, options", [
    (("-o", "same.json", "--extended", "same.json"), ("-o", "--extended")),
    (("-o", "same.json", "--report", "./same.json"), ("-o", "--report")),
    (("-o", "cm.yaml", "--extended", "same.json", "--report", "sub/../same.json"),
     ("--extended", "--report")),
    (("-o", "same.json", "--extended", "link.json"), ("-o", "--extended")),  # a symlink
    (("-o", "-", "--extended", "-"), ("-o", "--extended")),  # both to stdout
])
def test_outputs_naming_the_same_file_are_a_usage_error(
        args: tuple[str, ...], options: tuple[str, str], small: NgcServer,
        generate: Generate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "same.json").write_text("previous\n")
    (tmp_path / "link.json").symlink_to(tmp_path / "same.json")
    result = generate(small, *args)
    _one_line_usage_error(result.code, result.err)
    assert all(f"{option} " in result.err for option in options)
    assert not (tmp_path / "cm.yaml").exists()
    assert small.count("") == 0  # refused before any request
    assert (tmp_path / "same.json").read_text() == "previous\n"
    assert result.out == ""


def test_the_same_file_through_a_symlinked_directory(small: NgcServer, generate: Generate,
                                                    tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    result = generate(small, "-o", str(real / "cm.yaml"),
                      "--extended", str(tmp_path / "alias" / "cm.yaml"))
    _one_line_usage_error(result.code, result.err)
    assert small.count("") == 0 and not (real / "cm.yaml").exists()


def test_three_different_outputs_are_all_written(small: NgcServer, generate: Generate,
                                                 tmp_path: Path) -> None:
    out, ext, rep = tmp_path / "cm.yaml", tmp_path / "details.json", tmp_path / "r.json"
    result = generate(small, "-o", str(out), "--extended", str(ext), "--report", str(rep))
    assert result.code == 0, result.err
    assert len(load_catalog(out)) == 4
    assert json.loads(ext.read_text())["kind"] == "NimModelDetails"
    assert json.loads(rep.read_text())["summary"]["new"] == 4


# item 22: what generate writes passes its own validate ---------------------------------------

@pytest.mark.parametrize("namespace", ["Bad_NS", "-odh", "odh-", "odh.example", "x" * 64,
                                       "odh\nx", "odh;rm -rf", PLACEHOLDER])
def test_a_bad_namespace_is_a_usage_error_before_any_request(
        namespace: str, small: NgcServer, generate: Generate, tmp_path: Path) -> None:
    out = tmp_path / "cm.yaml"
    result = generate(small, "-o", str(out), "--namespace", namespace)
    _one_line_usage_error(result.code, result.err)
    assert "--namespace" in result.err
    assert small.count("") == 0 and not out.exists()
    assert PLACEHOLDER not in result.err


def test_a_key_shaped_name_is_a_usage_error_before_any_request(
        small: NgcServer, generate: Generate, tmp_path: Path) -> None:
    result = generate(small, "-o", str(tmp_path / "cm.yaml"), "--name", PLACEHOLDER.lower())
    _one_line_usage_error(result.code, result.err)
    assert "--name" in result.err and "nvapi-" not in result.err
    assert small.count("") == 0


def _generate_beside_alpha(doc: dict[str, Any], generate: Generate, tmp_path: Path
                           ) -> tuple[Any, Path, Path]:
    """Generate from the double serving model `alpha` and `doc`: (result, ConfigMap, side
    file)."""
    server = NgcServer([entry("alpha")])
    server.add_model(doc)
    out, ext = tmp_path / "cm.yaml", tmp_path / "details.json"
    with server:
        result = generate(server, "-o", str(out), "--extended", str(ext))
    return result, out, ext


@pytest.mark.parametrize("bad", ["1.0;rm -rf", "$(reboot)", "1.0 latest", "1.0\n", "-1.0",
                                 "a" * 129, "1.0`id`", "v1|sh"])
def test_a_bad_tag_is_left_out_and_the_model_named(bad: str, generate: Generate,
                                                   tmp_path: Path) -> None:
    doc = _recorded()
    doc["tags"] = [*doc["tags"], bad]
    result, out, _ = _generate_beside_alpha(doc, generate, tmp_path)
    assert result.code == 0, result.err
    _validates(out)
    model = load_catalog(out).models["llama-3.1-8b-instruct"]
    assert bad not in model.tags and list(model.tags) == _recorded()["tags"]
    warnings = [line for line in result.err.splitlines() if RECORDED_ID in line]
    assert warnings and all("tag" in line for line in warnings)
    assert "2 models processed: 2 written" in result.err


def test_duplicate_tags_are_written_once(generate: Generate, tmp_path: Path) -> None:
    doc = _recorded()
    doc["tags"] = [*doc["tags"], doc["tags"][0]]
    server = NgcServer()
    server.add_model(doc)
    out = tmp_path / "cm.yaml"
    with server:
        result = generate(server, "-o", str(out))
    assert result.code == 0, result.err
    _validates(out)
    assert list(load_catalog(out).models["llama-3.1-8b-instruct"].tags) == _recorded()["tags"]


def _docs_with_unfixable_model() -> list[dict[str, Any]]:
    return [entry("alpha"), entry("broken", tags=("1.0;rm -rf", "latest"), latest="1.0;rm -rf")]


def test_a_model_without_a_valid_latest_tag_is_a_per_model_failure(generate: Generate,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "cm.yaml"
    with NgcServer(_docs_with_unfixable_model()) as server:
        refused = generate(server, "-o", str(out))
        assert refused.code == 3
        assert "nim/meta/broken" in refused.err and "latestTag" in refused.err
        assert "--allow-partial" in refused.err and not out.exists()
        partial = generate(server, "-o", str(out), "--allow-partial")
    assert partial.code == 0, partial.err
    _validates(out)
    assert sorted(load_catalog(out).models) == ["alpha"]
    assert "skipped nim/meta/broken" in partial.err
    assert "2 models processed: 1 written" in partial.err and "1 failed" in partial.err


@pytest.mark.parametrize("field, value", [("updatedDate", "yesterday"), ("displayName", "")])
def test_other_schema_misfits_are_per_model_failures(field: str, value: str, generate: Generate,
                                                     tmp_path: Path) -> None:
    out = tmp_path / "cm.yaml"
    with NgcServer([entry("alpha"), entry("odd", **{field: value})]) as server:
        result = generate(server, "-o", str(out), "--allow-partial")
    assert result.code == 0, result.err
    _validates(out)
    assert sorted(load_catalog(out).models) == ["alpha"]
    assert any("nim/meta/odd" in line and field in line for line in result.err.splitlines())


# item 24: key-shaped text in one model's answer ----------------------------------------------

@pytest.mark.parametrize("text", [f"Set NGC_API_KEY={PLACEHOLDER} first.",
                                  "nvapi-FAKE0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"])
def test_a_key_in_one_description_leaves_out_that_text_only(text: str, generate: Generate,
                                                            tmp_path: Path) -> None:
    docs = [entry("alpha"), entry("beta", shortDescription=text), entry("gamma")]
    out, ext, rep = tmp_path / "cm.yaml", tmp_path / "details.json", tmp_path / "r.md"
    with NgcServer(docs) as server:
        result = generate(server, "-o", str(out), "--extended", str(ext), "--report", str(rep))
    assert result.code == 0, result.err
    _validates(out)
    models = load_catalog(out).models
    assert sorted(models) == ["alpha", "beta", "gamma"]
    assert models["beta"].short_description == ""
    assert models["alpha"].short_description == "About alpha"
    lines = [line for line in result.err.splitlines() if "nim/meta/beta" in line]
    assert len(lines) == 1 and "shortDescription" in lines[0], result.err
    _no_text_anywhere(tmp_path, "nvapi-", result.out, result.err)


def test_the_key_of_the_run_echoed_back_still_refuses_the_whole_run(
        generate: Generate, tmp_path: Path) -> None:
    """A server echoing the very key the run used is failing: nothing is written (exit 3)."""
    docs = [entry("alpha"), entry("beta", shortDescription=f"echo {FAKE_KEY}")]
    out = tmp_path / "cm.yaml"
    with NgcServer(docs) as server:
        result = generate(server, "-o", str(out), "--allow-partial")
    assert result.code == 3, result.err
    assert "refusing to write it" in result.err and not out.exists()
    _no_text_anywhere(tmp_path, FAKE_KEY, result.out, result.err)


def test_a_key_in_a_display_name_falls_back_to_the_model_name(generate: Generate,
                                                              tmp_path: Path) -> None:
    docs = [entry("alpha"), entry("beta", displayName=f"Beta {PLACEHOLDER}")]
    out = tmp_path / "cm.yaml"
    with NgcServer(docs) as server:
        result = generate(server, "-o", str(out))
    assert result.code == 0, result.err
    _validates(out)
    assert load_catalog(out).models["beta"].display_name == "beta"
    assert any("nim/meta/beta" in line and "displayName" in line
               for line in result.err.splitlines())
    _no_text_anywhere(tmp_path, "nvapi-", result.out, result.err)


def test_a_key_shaped_tag_is_left_out(generate: Generate, tmp_path: Path) -> None:
    key_tag = "nvapi-abcdefghijklmnop"  # fits the tag pattern: only its shape is wrong
    docs = [entry("alpha", tags=("1.0.0", key_tag), latest="1.0.0")]
    out = tmp_path / "cm.yaml"
    with NgcServer(docs) as server:
        result = generate(server, "-o", str(out))
    assert result.code == 0, result.err
    assert load_catalog(out).models["alpha"].tags == ("1.0.0",)
    assert any("nim/meta/alpha" in line and "tag" in line for line in result.err.splitlines())
    _no_text_anywhere(tmp_path, "nvapi-", result.out, result.err)


def test_a_key_in_the_latest_tag_fails_that_model_only(generate: Generate,
                                                       tmp_path: Path) -> None:
    key_tag = "nvapi-abcdefghijklmnop"
    docs = [entry("alpha"), entry("beta", tags=(key_tag, "1.0.0"), latest=key_tag)]
    out = tmp_path / "cm.yaml"
    with NgcServer(docs) as server:
        refused = generate(server, "-o", str(out))
        assert refused.code == 3 and "nim/meta/beta" in refused.err and not out.exists()
        result = generate(server, "-o", str(out), "--allow-partial")
    assert result.code == 0, result.err
    assert sorted(load_catalog(out).models) == ["alpha"]
    assert any("nim/meta/beta" in line and "latestTag" in line
               for line in result.err.splitlines())
    _no_text_anywhere(tmp_path, "nvapi-", refused.out, refused.err, result.out, result.err)


def test_a_key_in_the_extended_details_leaves_out_that_models_details(
        generate: Generate, tmp_path: Path) -> None:
    doc = _recorded(accessType=f"LISTED {PLACEHOLDER}")
    result, out, ext = _generate_beside_alpha(doc, generate, tmp_path)
    assert result.code == 0, result.err
    assert sorted(load_catalog(out).models) == ["alpha", "llama-3.1-8b-instruct"]
    assert sorted(json.loads(ext.read_text())["models"]) == ["alpha"]
    assert any(RECORDED_ID in line and "extended" in line for line in result.err.splitlines())
    _no_text_anywhere(tmp_path, "nvapi-", result.out, result.err)


def test_stdout_output_is_still_clean_yaml_with_warnings_on_stderr(generate: Generate) -> None:
    docs = [entry("alpha", shortDescription=PLACEHOLDER), entry("beta")]
    with NgcServer(docs) as server:
        result = generate(server, "-o", "-", "--quiet")
    assert result.code == 0, result.err
    data = yamlio.load_one(result.out, "<stdout>")["data"]
    assert json.loads(data["alpha"])["shortDescription"] == ""
    assert "nim/meta/alpha" in result.err and "nvapi-" not in result.err + result.out


def test_validate_refuses_a_tag_with_a_final_newline(tmp_path: Path) -> None:
    """jsonschema searches patterns, so `$` let "1.0\\n" through `metadata validate` while
    `generate` drops it: both now match a tag whole."""
    from generator.catalog import ModelEntry, configmap_yaml

    entry = ModelEntry("m", "M", "d", "nim/meta", ("1.0\n",), "1.0\n", "2025-01-01T00:00:00Z")
    path = tmp_path / "catalog.yaml"
    path.write_text(configmap_yaml([entry]), "utf-8")
    result = run_cli(["metadata", "validate", str(path)])
    assert result.code == 1 and "data.m.tags[0]" in result.err
