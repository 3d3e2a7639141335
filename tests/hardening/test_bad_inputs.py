"""The bad-input corpus: every broken input fails cleanly.

Each case feeds one file from `tests/hardening/inputs/` (or one made at run time: huge files,
symlinks) to the command that reads that kind of input, and checks the promise of
docs/reliability.md: the documented exit code, one `error:` line that names the input (and
its line where the parser knows it), no traceback, and nothing written.

A UTF-8 byte-order mark is accepted (editors on Windows add one; it carries no content), so a
BOM file is only an error when its content is, and its line numbers stay right.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator import yamlio
from tests.helpers import FAKE_KEY, SNAPSHOT, run_cli, without_source_context

INPUTS = Path(__file__).parent / "inputs"
# fails fast: EU lists are read before NVIDIA is called, and nothing listens on port 9
GENERATE = ["metadata", "generate", "--ngc-url", "http://127.0.0.1:9", "--retries", "0",
            "--timeout", "1", "-q"]
HAS_VALIDATE = importlib.util.find_spec("generator.commands.validate") is not None


@dataclass(frozen=True)
class Case:
    """One broken input: how it is fed, and what the one error line must say."""

    name: str  # file under inputs/ (config/..., catalog/..., eu/..., krm/..., manifests/...)
    via: str  # render | check | catalog-option | catalog-file | eu | krm | metadata-validate
    #           | metadata-diff | validate
    message: str  # a fragment of the error line
    line: int | None = None  # the line the error line must name
    code: int = 1
    names: str | None = None  # what the error line names instead of the input path


CASES = [
    # config files: wrong types and unknown keys
    Case("config/unknown-top-key.yaml", "render", "extra: unknown field", 14),
    Case("config/unknown-spec-key.yaml", "check", "spec.secret: unknown field", 6),
    Case("config/name-is-int.yaml", "render",
         "metadata.name: 42 was read as a number, not a string: put it in quotes", 4),
    Case("config/projects-is-mapping.yaml", "check", "spec.projects: ", 8),
    Case("config/gpus-is-float.yaml", "render", "deployments[0].gpus: ", 14),
    Case("config/gpus-is-nan.yaml", "check", "deployments[0].gpus: ", 14),
    Case("config/gpus-is-bool.yaml", "check", "deployments[0].gpus: ", 14),
    Case("config/tag-is-number.yaml", "render",
         'tag: 1.15 was read as a number, not a string: put it in quotes as you meant it, '
         'e.g. tag: "1.15"', 13),
    Case("config/int-key.yaml", "check", "unknown field", 14),
    Case("config/spec-is-null.yaml", "check", " spec: ", 5),
    Case("config/project-is-null.yaml", "check", "spec.projects[0]: ", 9),
    # config files: YAML that must not load
    Case("config/billion-laughs.yaml", "render", "YAML aliases expand to more than"),
    Case("config/merge-key-bomb.yaml", "check", "m0: unknown field", 1),
    Case("config/duplicate-key.yaml", "render", "duplicate key 'model'", 14),
    Case("config/tab-indent.yaml", "render", "invalid YAML", 12),
    Case("config/bom-then-error.yaml", "render", 'spec.secrets.provider: "sops" is not one of', 7),
    Case("config/utf16.yaml", "render", "not valid UTF-8"),
    Case("config/latin1.yaml", "check", "not valid UTF-8"),
    Case("config/nul-byte.yaml", "render", "invalid YAML"),
    Case("config/control-char.yaml", "check", "invalid YAML"),
    Case("config/escaped-control-char.yaml", "render",
         "metadata.name: contains the control character U+007F", 4),
    Case("config/empty.yaml", "render", "the config must be a mapping"),
    Case("config/comments-only.yaml", "check", "the config must be a mapping"),
    Case("config/two-documents.yaml", "render", "expected a single document", 14),
    Case("config/scalar.yaml", "check", "the config must be a mapping"),
    Case("config/list.yaml", "render", "the config must be a mapping"),
    Case("config/python-tag.yaml", "render", "invalid YAML", 4),
    Case("config/custom-tag.yaml", "check", "invalid YAML", 4),
    Case("config/binary-tag.yaml", "check", "metadata.name: ", 4),
    Case("config/deep-flow.yaml", "render", "YAML nesting is deeper than", 14),
    Case("config/deep-block.yaml", "check", "YAML nesting is deeper than"),
    Case("config/huge-value.yaml", "render", 'spec.secrets.provider: "xxxx', 7),
    Case("config/unclosed-flow.yaml", "render", "invalid YAML", 8),
    Case("config/unclosed-quote.yaml", "check", "invalid YAML"),
    Case("config/undefined-alias.yaml", "render", "invalid YAML", 4),
    Case("config/huge-file.yaml", "render", "more than the 67,108,864 allowed"),
    # config files: paths that leave the config's directory
    Case("config/catalog-escapes.yaml", "render", "points outside the config's directory", 7),
    Case("config/catalog-absolute.yaml", "check", "points outside the config's directory", 7),
    Case("config/catalog-symlink.yaml", "render", "points outside the config's directory", 7),
    Case("config/catalog-is-dir.yaml", "render", "work: is a directory, expected a file",
         names=""),
    # a directory where a file belongs fails like a missing file: exit 1, one line
    Case("config/directory", "render", "is a directory, expected a file"),
    Case("config/directory", "check", "is a directory, expected a file"),
    # catalogs, given as --catalog and named by spec.platform.catalog.file
    Case("catalog/empty.yaml", "catalog-option", "expected one YAML document, found 0"),
    Case("catalog/list.yaml", "catalog-file", "expected a ConfigMap with the model metadata"),
    Case("catalog/wrong-kind.yaml", "catalog-option", "expected a ConfigMap"),
    Case("catalog/data-is-list.yaml", "catalog-file", "data: must be a mapping"),
    Case("catalog/value-is-int.yaml", "catalog-option",
         "data.llama-3.1-8b-instruct: value must be a string"),
    Case("catalog/value-not-json.yaml", "catalog-file", "value is not JSON"),
    Case("catalog/value-json-list.yaml", "catalog-option", "value must be a JSON object"),
    Case("catalog/missing-field.yaml", "catalog-file", "missing field 'latestTag'"),
    Case("catalog/tags-is-string.yaml", "catalog-option", "field 'tags' must be list"),
    Case("catalog/tag-is-int.yaml", "catalog-file", "tags must be strings"),
    Case("catalog/name-differs.yaml", "catalog-option", "differs from its key"),
    Case("catalog/bad-key.yaml", "catalog-file", "ConfigMap keys must match"),
    Case("catalog/deep-json.yaml", "catalog-option", "value nests too deeply"),
    Case("catalog/billion-laughs.yaml", "catalog-file", "YAML aliases expand to more than"),
    Case("catalog/duplicate-key.yaml", "catalog-option", "duplicate key", 7),
    Case("catalog/two-documents.yaml", "catalog-file", "expected one YAML document, found 2"),
    Case("catalog/latin1.yaml", "catalog-option", "not valid UTF-8"),
    Case("catalog/tab-indent.yaml", "catalog-file", "invalid YAML", 4),
    Case("catalog/directory", "catalog-option", "is a directory, expected a file"),
    # EU lists (read by metadata generate before NVIDIA is called)
    Case("eu/not-json.json", "eu", "not JSON", 1),
    Case("eu/object.json", "eu", "expected a JSON list"),
    Case("eu/item-is-string.json", "eu", "[0]: expected an object"),
    Case("eu/name-is-int.json", "eu", "[0].name: name must be a non-empty string"),
    Case("eu/missing-name.json", "eu", "[0].name: missing field 'name'"),
    Case("eu/resource-id-mismatch.json", "eu", "does not end with the name"),
    Case("eu/empty.json", "eu", "not JSON", 1),
    Case("eu/yaml-not-json.json", "eu", "not JSON", 1),
    Case("eu/latin1.json", "eu", "not valid UTF-8"),
    Case("eu/deep.json", "eu", "deep"),
    # KRM ResourceLists on stdin
    Case("krm/empty.yaml", "krm", "expected a ResourceList on stdin"),
    Case("krm/list.yaml", "krm", "expected a ResourceList on stdin"),
    Case("krm/no-function-config.yaml", "krm", "functionConfig: a NimGitOps functionConfig"),
    Case("krm/items-is-mapping.yaml", "krm", "items: must be a list"),
    Case("krm/items-are-scalars.yaml", "krm", "items[0]: must be a Kubernetes object"),
    Case("krm/wrong-api-version.yaml", "krm", "apiVersion must be config.kubernetes.io/v1"),
    Case("krm/function-config-wrong-kind.yaml", "krm", "functionConfig must be a NimGitOps"),
    Case("krm/function-config-unknown-key.yaml", "krm", "spec.bogus: unknown field"),
    Case("krm/function-config-escapes.yaml", "krm", "points outside the config's directory"),
    Case("krm/two-documents.yaml", "krm", "expected one YAML document, found 2"),
    Case("krm/duplicate-key.yaml", "krm", "duplicate key 'items'", 4),
    Case("krm/latin1.yaml", "krm", "not valid UTF-8"),
    Case("krm/billion-laughs.yaml", "krm", "YAML aliases expand to more than"),
    Case("krm/tab-indent.yaml", "krm", "invalid YAML"),
    Case("krm/deep-flow.yaml", "krm", "YAML nesting is deeper than"),
    # metadata ConfigMaps checked and compared
    Case("catalog/deep-json.yaml", "metadata-validate", "data.llama-3.1-8b-instruct"),
    Case("catalog/duplicate-key.yaml", "metadata-validate", "duplicate key", 7),
    Case("catalog/billion-laughs.yaml", "metadata-validate", "YAML aliases expand"),
    Case("catalog/missing-field.yaml", "metadata-diff", "missing field 'latestTag'"),
    Case("catalog/tab-indent.yaml", "metadata-diff", "invalid YAML", 4),
    # manifests for `nim-gitops validate`
    Case("manifests/not-yaml.yaml", "validate", "invalid YAML", 8),
    Case("manifests/duplicate-key.yaml", "validate", "duplicate key", 8),
    Case("manifests/billion-laughs.yaml", "validate", "YAML aliases expand"),
    Case("manifests/latin1.yaml", "validate", "not valid UTF-8"),
    Case("manifests/tab-indent.yaml", "validate", "invalid YAML", 4),
    Case("manifests/deep-flow.yaml", "validate", "YAML nesting is deeper than", 8),
    Case("manifests/missing-kind.yaml", "validate", "missing 'kind'"),
    Case("manifests/scalar.yaml", "validate", "not an object"),
    # issue #15: integers over 4,300 digits, over-long keys and names, forged error lines
    Case("config/huge-integer.yaml", "render", "integer of 5,000 characters is too large", 14),
    Case("config/huge-integer.yaml", "check", "integer of 5,000 characters is too large", 14),
    Case("config/long-resource-key.yaml", "check", "a mapping key of 1,112 characters", 16),
    Case("config/long-resource-key.yaml", "render", "a mapping key of 1,112 characters", 16),
    Case("catalog/huge-integer.yaml", "catalog-option", "integer of 5,000 characters", 6),
    Case("catalog/huge-integer-json.yaml", "catalog-file", "value holds a number too large"),
    Case("catalog/huge-integer-json.yaml", "metadata-validate", "number too large"),
    Case("catalog/long-name.yaml", "catalog-option", "ConfigMap keys must match"),
    Case("catalog/long-name.yaml", "metadata-validate", "is not a valid ConfigMap key"),
    Case("krm/huge-integer.yaml", "krm", "integer of 5,000 characters is too large", 7),
    Case("krm/function-config-path-newline.yaml", "krm", "spec.bogus: unknown field",
         names="configs/a\\x0aerror: forged line\\x1b[2J.yaml"),
    Case("eu/huge-integer.json", "eu", "a number is too large"),
    Case("manifests/huge-integer.yaml", "validate", "integer of 5,000 characters"),
]



def _stage(case: Case, work: Path) -> Path:
    """Copy (or make) the case's input under `work`; return its path."""
    name = case.name.partition("/")[2]
    if name == "directory":
        target = work / "a-directory"
        target.mkdir()
        return target
    target = work / name
    if name == "huge-file.yaml":
        with target.open("wb") as handle:  # sparse: refused on its size, never read
            handle.truncate(yamlio.MAX_INPUT_BYTES + 1)
        return target
    shutil.copyfile(INPUTS / case.name, target)
    if name == "catalog-symlink.yaml":
        outside = work.parent / "outside"
        outside.mkdir()
        shutil.copyfile(INPUTS / "catalog" / "valid.yaml", outside / "catalog.yaml")
        (work / "link.yaml").symlink_to(outside / "catalog.yaml")
    return target


def _argv(case: Case, path: Path, work: Path, out: Path) -> tuple[list[str], str | None]:
    """The command line for the case, and the file its error must name."""
    valid_config = work / "valid-config.yaml"
    shutil.copyfile(INPUTS / "config" / "valid.yaml", valid_config)
    if case.via == "render":
        return ["render", str(path), "-o", str(out)], str(path)
    if case.via == "check":
        return ["config", "check", str(path)], str(path)
    if case.via == "catalog-option":
        return ["render", str(valid_config), "--catalog", str(path), "-o", str(out)], str(path)
    if case.via == "catalog-file":
        config = work / "uses-catalog.yaml"
        text = valid_config.read_text().replace(
            "  secrets:\n", f"  platform:\n    catalog: {{file: {path.name}}}\n  secrets:\n")
        config.write_text(text)
        return ["render", str(config), "-o", str(out)], str(path)
    if case.via == "eu":
        return [*GENERATE, "-o", str(out / "cm.yaml"), "--eu-restricted", str(path)], str(path)
    if case.via == "krm":
        return ["krm"], "<stdin>" if "function-config" not in case.name else None
    if case.via == "metadata-validate":
        return ["metadata", "validate", str(path)], str(path)
    if case.via == "metadata-diff":
        return ["metadata", "diff", str(path), str(SNAPSHOT)], str(path)
    raise AssertionError(case.via)


def _check_validate_case(case: Case, tmp_path: Path) -> None:
    """`validate` reports on stdout: the file and signature, then the finding and its line."""
    if not HAS_VALIDATE:
        pytest.skip("generator.commands.validate does not exist yet")
    path = _stage(case, tmp_path)
    result = run_cli(["validate", str(path)])
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err + result.out
    lines = result.out.splitlines()
    assert lines[0].startswith(str(path)), result.out
    finding = next(line for line in lines[1:] if "[error]" in line)
    assert case.message in finding, result.out
    if case.line is not None:
        assert f"(line {case.line})" in finding, result.out
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name], "validate wrote a file"


def _id(case: Case) -> str:
    return f"{case.via}:{case.name}"


def test_corpus_is_large_enough() -> None:
    assert len({c.name for c in CASES}) >= 50
    assert len(CASES) >= 90


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_bad_input_fails_cleanly(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 ) -> None:
    if case.via == "validate":
        _check_validate_case(case, tmp_path)
        return
    work = tmp_path / "work"
    work.mkdir()
    out = tmp_path / "out"
    path = _stage(case, work)
    argv, names = _argv(case, path, work, out)
    monkeypatch.chdir(work)  # the KRM function resolves files against the working directory
    stdin = path.read_bytes() if case.via == "krm" else None
    result = run_cli(argv, input=stdin, env={"NGC_API_KEY": FAKE_KEY})  # type: ignore[arg-type]
    assert result.code == case.code, (result.code, result.err)
    assert "Traceback" not in result.err + result.out
    assert not out.exists(), "a failed run wrote output"
    lines = without_source_context(result.err.strip().splitlines())
    if case.code == 2:  # a usage error: the last line names the path
        assert path.name in lines[-1], result.err
        return
    first = lines[0]
    # one line; `metadata validate` adds a summary line after its findings
    assert len(lines) == (2 if case.via == "metadata-validate" else 1), result.err
    assert first.startswith("error: "), first
    assert len(first) < 400, "the message repeats a huge input"
    assert case.message in first, first
    if case.names is not None:
        names = case.names
    if names is not None:
        assert names in first, first
    if case.line is not None:
        assert f":{case.line}" in first.split(" ")[1], first
    if case.via == "krm":  # the function answers with the input items and an error result
        doc = yamlio.load_one(result.out, "<stdout>")
        assert doc["kind"] == "ResourceList"
        assert doc["results"][0]["severity"] == "error"
        assert all(item.get("kind") != "InferenceService" for item in doc["items"])
    elif case.via not in ("metadata-diff",):
        assert result.out == "", result.out


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    """A UTF-8 BOM is dropped: the same config renders the same files with or without it."""
    plain = (INPUTS / "config" / "valid.yaml").read_bytes()
    (tmp_path / "plain.yaml").write_bytes(plain)
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbf" + plain)
    one = run_cli(["render", str(tmp_path / "plain.yaml"), "-o", "-"])
    two = run_cli(["render", str(tmp_path / "bom.yaml"), "-o", "-"])
    assert one.code == two.code == 0, two.err
    assert one.out == two.out


@pytest.mark.parametrize("name", ["duplicate-key.yaml", "billion-laughs.yaml",
                                  "catalog-symlink.yaml", "utf16.yaml", "huge-file.yaml"])
def test_a_failed_render_leaves_the_previous_tree_untouched(name: str, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    config = work / "nim-gitops.yaml"
    shutil.copyfile(INPUTS / "config" / "valid.yaml", config)
    out = tmp_path / "out"
    assert run_cli(["render", str(config), "-o", str(out)]).code == 0
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    stamps = {p: p.stat().st_mtime_ns for p in before}
    bad = _stage(Case(f"config/{name}", "render", ""), work)
    result = run_cli(["render", str(bad), "-o", str(out)])
    assert result.code == 1
    after = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert after == before
    assert {p: p.stat().st_mtime_ns for p in after} == stamps


BOMB_SCRIPT = """
import resource, sys
limit = 512 * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from generator.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("name", ["config/billion-laughs.yaml", "config/merge-key-bomb.yaml",
                                  "config/deep-flow.yaml"])
def test_bombs_fail_fast_in_bounded_memory(name: str, tmp_path: Path) -> None:
    """Under a 512 MiB address-space limit, a bomb is refused (exit 1), not a MemoryError.

    The billion-laughs document expands to 10^9 strings, the merge-key one to 9^11 pairs.
    """
    import subprocess
    import sys

    path = tmp_path / Path(name).name
    shutil.copyfile(INPUTS / name, path)
    proc = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, "config", "check", str(path)],
                          capture_output=True, text=True, timeout=120, check=False,
                          cwd=Path(__file__).parents[2])
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {path}"), proc.stderr


SHARED_READERS = {  # every other command that reads a config, and how
    "values": ["values", "{path}"],
    "airgap-images": ["airgap", "images", "{path}", "-o", "{out}/images.txt"],
    "krm-legacy": ["krm", "{path}"],
    "migrate-config": ["migrate", "render", "{export}", "-o", "{out}", "--config", "{path}"],
}
SHARED_INPUTS = ["billion-laughs.yaml", "merge-key-bomb.yaml", "deep-flow.yaml",
                 "duplicate-key.yaml", "latin1.yaml", "two-documents.yaml",
                 "catalog-escapes.yaml", "escaped-control-char.yaml", "gpus-is-float.yaml"]
MIGRATE_EXPORT = Path(__file__).parents[1] / "data" / "migrate" / "mixed.yaml"


@pytest.mark.parametrize("name", SHARED_INPUTS)
@pytest.mark.parametrize("reader", sorted(SHARED_READERS))
def test_every_config_reader_fails_like_config_check(reader: str, name: str,
                                                     tmp_path: Path) -> None:
    """The same bad config gives the same line whichever command reads it."""
    work = tmp_path / "work"
    work.mkdir()
    path = _stage(Case(f"config/{name}", "check", ""), work)
    expected = run_cli(["config", "check", str(path)])
    assert expected.code == 1
    out = tmp_path / "out"
    argv = [a.format(path=path, out=out, export=MIGRATE_EXPORT) for a in SHARED_READERS[reader]]
    result = run_cli(argv)
    assert result.code == 1, result.err
    assert result.err == expected.err
    assert result.out == "" and not out.exists()


def test_a_huge_resource_list_on_stdin_is_refused_unread(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """More than 16 MiB on stdin, what the function's memory (about 40 times its input) allows
    (issue #27 item 23): it stops reading and answers with an error."""
    from generator.krm import MAX_RESOURCE_LIST_BYTES

    monkeypatch.chdir(tmp_path)
    blob = b"# " + b"x" * (MAX_RESOURCE_LIST_BYTES + 16) + b"\n"
    result = run_cli(["krm"], input=blob)  # type: ignore[arg-type]
    assert result.code == 1
    assert result.err.strip().startswith(
        f"error: <stdin>: more than {MAX_RESOURCE_LIST_BYTES:,} bytes on stdin (the KRM "
        "function holds about 40 times its input in memory)")
    assert yamlio.load_one(result.out, "out")["results"][0]["severity"] == "error"
    assert list(tmp_path.iterdir()) == []


def test_a_symlink_that_stays_inside_the_directory_is_fine(tmp_path: Path) -> None:
    """Only where a link lands counts: a link to a file beside the config is followed."""
    shutil.copyfile(INPUTS / "catalog" / "valid.yaml", tmp_path / "real-catalog.yaml")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "real-catalog.yaml")
    config = tmp_path / "nim-gitops.yaml"
    shutil.copyfile(INPUTS / "config" / "catalog-symlink.yaml", config)
    result = run_cli(["config", "check", str(config)])
    assert result.code == 0, result.err
    assert "1 models" in result.err


# --- issue #15: hostile input that used to end in exit 70 or worse ---------------------------

VALID_CONFIG = INPUTS / "config" / "valid.yaml"
REDESIGN_CONFIG = INPUTS / "config" / "valid-redesign.yaml"  # renders nim-models-data
VALID_CATALOG = INPUTS / "catalog" / "valid.yaml"
KRM_FUNCTION_CONFIG = {"apiVersion": "nim-gitops.opendatahub.io/v1alpha1", "kind": "NimGitOps",
                       "metadata": {"name": "corpus"},
                       "spec": {"secrets": {"provider": "none"}, "projects": []}}


def _one_error_line(result_err: str) -> str:
    lines = result_err.strip().splitlines()
    assert len(lines) == 1, result_err
    assert lines[0].startswith("error: "), result_err
    assert "\x1b" not in result_err and "\r" not in result_err
    return lines[0]


AMPLIFIER = """
import sys
n = int(sys.argv[1])
items = "\\n".join(f"- apiVersion: v1\\n  kind: ConfigMap\\n  metadata: {{name: c{i}}}\\n"
                   f"  data: {{a: *b, b: *b, c: *b, d: *b}}" for i in range(n))
sys.stdout.write(f"apiVersion: config.kubernetes.io/v1\\nkind: ResourceList\\n"
                 f"x: &b {'x' * 1000}\\nitems:\\n{items}\\nfunctionConfig: {sys.argv[2]}\\n")
"""


def test_alias_amplification_in_krm_items_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """About 490 kB of items whose aliases expand to 20 MB of text: refused with an error
    result under a 512 MiB address-space limit, instead of a 1 GB answer (or MemoryError)."""
    import json
    import subprocess
    import sys

    stdin = subprocess.run([sys.executable, "-c", AMPLIFIER, "5000",
                            json.dumps(KRM_FUNCTION_CONFIG)], capture_output=True, check=True,
                           ).stdout
    assert len(stdin) < 600_000
    proc = subprocess.run([sys.executable, "-c", BOMB_SCRIPT, "krm"], input=stdin,
                          capture_output=True, timeout=120, check=False, cwd=tmp_path,
                          env={**__import__("os").environ,
                               "PYTHONPATH": str(Path(__file__).parents[2])})
    assert proc.returncode == 1, proc.stderr
    line = _one_error_line(proc.stderr.decode())
    assert "YAML aliases expand to more than" in line
    answer = yamlio.load_one(proc.stdout.decode(), "<stdout>")
    assert answer["results"][0]["severity"] == "error"
    assert len(proc.stdout) < 10_000


def test_null_in_pass_through_items_survives_the_krm_function(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               ) -> None:
    """`kubectl create --dry-run -o yaml` writes `creationTimestamp: null`: kept as is."""
    monkeypatch.chdir(tmp_path)
    pod = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "dry-run", "creationTimestamp": None}, "data": None}
    stdin = yamlio.dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                         "items": [pod], "functionConfig": KRM_FUNCTION_CONFIG})
    result = run_cli(["krm"], input=stdin)
    assert result.code == 0, result.err
    items = yamlio.load_one(result.out, "<stdout>")["items"]
    assert items[0] == pod


def test_null_in_an_export_survives_migrate_render(tmp_path: Path) -> None:
    text = MIGRATE_EXPORT.read_text("utf-8").replace(
        "    name: llama\n", "    name: llama\n    creationTimestamp: null\n", 1).replace(
        "  spec:\n", "  spec:\n    nodeSelector: null\n")
    export = tmp_path / "export.yaml"
    export.write_text(text, "utf-8")
    out = tmp_path / "out"
    result = run_cli(["migrate", "render", str(export), "-o", str(out), "--provider", "none"])
    assert result.code == 0, result.err
    live = (out / "ml-prod" / "live" / "servingruntime-llama.yaml").read_text("utf-8")
    assert "nodeSelector: null" in live


def _os_error_path(kind: str, tmp_path: Path) -> Path:
    if kind == "ENOTDIR":
        (tmp_path / "file").write_text("x")
        return tmp_path / "file" / "nim-gitops.yaml"
    if kind == "ELOOP":
        (tmp_path / "loop").symlink_to(tmp_path / "loop")
        return tmp_path / "loop"
    if kind == "ENAMETOOLONG":
        return tmp_path / ("n" * 300)
    if kind == "FIFO":
        import os
        os.mkfifo(tmp_path / "fifo")  # no writer: opening it for reading would block
        return tmp_path / "fifo"
    return Path("/dev/zero")  # endless: would be read until MemoryError


OS_KINDS = ["ENOTDIR", "ELOOP", "ENAMETOOLONG", "FIFO", "/dev/zero"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", OS_KINDS)
@pytest.mark.parametrize("role", ["config", "catalog", "key-file", "export", "eu-list"])
def test_unreadable_and_endless_inputs_fail_in_one_line(role: str, kind: str,
                                                        tmp_path: Path) -> None:
    path = _os_error_path(kind, tmp_path)
    out = tmp_path / "out"
    argv = {
        "config": ["render", str(path), "-o", str(out)],
        "catalog": ["render", str(VALID_CONFIG), "--catalog", str(path), "-o", str(out)],
        "key-file": ["key", "validate", "--api-key-file", str(path), "--ngc-url",
                     "http://127.0.0.1:9", "--retries", "0"],
        "export": ["migrate", "plan", str(path)],
        "eu-list": [*GENERATE, "-o", str(out / "cm.yaml"), "--eu-restricted", str(path)],
    }[role]
    result = run_cli(argv, env={"NGC_API_KEY": FAKE_KEY})
    assert result.code == 1, result
    line = _one_error_line(result.err)
    assert str(path)[:60] in line
    assert not out.exists()


def test_a_closed_stdout_is_one_error_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = "from generator.cli import main; import sys; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run(["sh", "-c", f'exec "$0" -c "{script}" render "$1" -o - >&-',
                           sys.executable, str(VALID_CONFIG)], capture_output=True, text=True,
                          timeout=120, check=False, cwd=Path(__file__).parents[2])
    assert proc.returncode == 1, proc.stderr
    assert _one_error_line(proc.stderr) == "error: <stdout>: stdout is closed"


def test_a_catalog_model_over_the_configmap_key_limit_is_refused_by_every_reader(
        tmp_path: Path) -> None:
    """253 characters is Kubernetes' limit for ConfigMap keys: render, metadata validate and
    metadata diff say so in one line, rather than render writing what kustomize rejects."""
    path = INPUTS / "catalog" / "long-name.yaml"
    for argv in (["render", str(VALID_CONFIG), "--catalog", str(path), "-o", "-"],
                 ["metadata", "diff", str(path), str(VALID_CATALOG)]):
        result = run_cli(argv)
        assert result.code == 1
        assert "ConfigMap keys must match" in _one_error_line(result.err)


def _big_catalog(path: Path, models: int) -> None:
    import json

    data = {}
    for index in range(models):
        name = "llama-3.1-8b-instruct" if index == 0 else f"model-{index:05d}"
        entry = {"name": name, "displayName": name, "shortDescription": "d" * 2000,
                 "namespace": "nim/meta", "tags": ["1.15.5"], "latestTag": "1.15.5",
                 "updatedDate": "2025-01-01T00:00:00.000Z", "euRestricted": False}
        data[name] = json.dumps(entry)
    path.write_text(yamlio.dump({"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "nim-models-data"}, "data": data}))


def test_a_catalog_too_big_for_one_configmap_is_refused(tmp_path: Path) -> None:
    """The API server refuses a ConfigMap whose data is over 1 MiB: render says so (naming the
    config field to fix) instead of writing a tree that cannot be applied."""
    catalog = tmp_path / "catalog.yaml"
    _big_catalog(catalog, 600)
    out = tmp_path / "out"
    result = run_cli(["render", str(REDESIGN_CONFIG), "--catalog", str(catalog), "-o",
                      str(out)])
    assert result.code == 1, result.err
    line = _one_error_line(result.err)
    assert "spec.platform.catalog" in line and "1,048,576" in line
    assert not out.exists()
    small = tmp_path / "small.yaml"
    _big_catalog(small, 100)
    assert run_cli(["render", str(REDESIGN_CONFIG), "--catalog", str(small), "-o", "-"]
                   ).code == 0
    # target current, connected: no ConfigMap carries the catalog, so its size does not matter
    assert run_cli(["render", str(VALID_CONFIG), "--catalog", str(catalog), "-o", "-"]).code == 0


@pytest.mark.parametrize("name", ["a b", "ünï", "m" * 300, "bad\nname"])
def test_metadata_generate_never_writes_a_key_its_own_validate_rejects(
        name: str, tmp_path: Path) -> None:
    from tests.metadata.conftest import entry
    from tests.ngc_server import NgcServer

    out = tmp_path / "cm.yaml"
    with NgcServer([entry(name), entry("fine-model")]) as ngc:
        argv = ["metadata", "generate", "-o", str(out), "--ngc-url", ngc.base_url,
                "--retries", "0", "-q"]
        refused = run_cli(argv, env={"NGC_API_KEY": FAKE_KEY})
        assert refused.code == 3, refused
        _one_error_line(refused.err)
        assert not out.exists()
        partial = run_cli([*argv, "--allow-partial"], env={"NGC_API_KEY": FAKE_KEY})
    assert partial.code == 0, partial.err
    assert all(len(line) < 400 and "\x1b" not in line for line in partial.err.splitlines())
    checked = run_cli(["metadata", "validate", str(out)])
    assert checked.code == 0, checked.err
    assert "(1 models)" in checked.out


@pytest.mark.parametrize("name", ["", "Upper", "a_b", "x" * 254])
def test_metadata_generate_refuses_an_invalid_configmap_name(name: str, tmp_path: Path) -> None:
    result = run_cli([*GENERATE, "-o", str(tmp_path / "cm.yaml"), "--name", name],
                     env={"NGC_API_KEY": FAKE_KEY})
    assert result.code == 2, result
    assert "--name" in _one_error_line(result.err)
    assert list(tmp_path.iterdir()) == []


def test_nel_line_and_paragraph_separators_survive_kustomize(tmp_path: Path) -> None:
    """U+0085, U+2028 and U+2029 in catalog text: a YAML 1.1 reader (kustomize, Helm) folds
    them into spaces unless they are written as JSON escapes; the value must come back equal."""
    import json

    from tests.helpers import kustomize_build

    text = "one\u0085two\u2028three\u2029four"
    doc = yamlio.load_one(VALID_CATALOG.read_text("utf-8"), "catalog")
    value = json.loads(doc["data"]["llama-3.1-8b-instruct"])
    value["shortDescription"] = text
    doc["data"]["llama-3.1-8b-instruct"] = json.dumps(value, ensure_ascii=False)
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yamlio.dump(doc), "utf-8")
    out = tmp_path / "out"
    result = run_cli(["render", str(REDESIGN_CONFIG), "--catalog", str(catalog), "-o",
                      str(out)])
    assert result.code == 0, result.err
    built = yamlio.load_all(kustomize_build(out), "kustomize")
    maps = [o for o in built if o["kind"] == "ConfigMap" and "llama-3.1-8b-instruct"
            in (o.get("data") or {})]
    assert maps, "the metadata ConfigMap is missing"
    assert json.loads(maps[0]["data"]["llama-3.1-8b-instruct"])["shortDescription"] == text


def test_nel_in_catalog_text_gives_the_same_configmap_from_the_chart_and_render(
        tmp_path: Path) -> None:
    """Helm reads values and writes manifests as YAML 1.1 too: the chart embedding such a
    catalog renders the same metadata ConfigMap data as `render` + kustomize, NEL kept."""
    import json

    from tests.chart.support import helm_template, render_build, write_values

    doc = yamlio.load_one(VALID_CATALOG.read_text("utf-8"), "catalog")
    value = json.loads(doc["data"]["llama-3.1-8b-instruct"])
    value["displayName"] = "Llama\u0085NEL\u2028LS"
    doc["data"]["llama-3.1-8b-instruct"] = json.dumps(value, ensure_ascii=False)
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yamlio.dump(doc), "utf-8")
    chart = tmp_path / "chart"
    assert run_cli(["chart", "--catalog", str(catalog), "-o", str(chart)]).code == 0
    values = write_values(REDESIGN_CONFIG, tmp_path / "values.yaml", catalog)

    def metadata_data(stream: str) -> dict[str, str]:
        maps = [o for o in yamlio.load_all(stream, "stream") if o["kind"] == "ConfigMap"
                and "llama-3.1-8b-instruct" in (o.get("data") or {})]
        assert len(maps) == 1, "the metadata ConfigMap is missing"
        data: dict[str, str] = maps[0]["data"]
        return data

    charted = metadata_data(helm_template(chart, values))
    rendered = metadata_data(render_build(REDESIGN_CONFIG, tmp_path / "render", catalog))
    assert charted == rendered
    assert json.loads(charted["llama-3.1-8b-instruct"])["displayName"] == value["displayName"]


@pytest.mark.parametrize("text", ["2024-01-01", "2001-12-14t21:59:43.10-05:00",
                                  "2001-12-14 21:59:43.10 -5"])
def test_timestamp_shaped_strings_stay_strings_for_yaml_1_1_readers(text: str) -> None:
    import yaml

    assert yaml.safe_load(yamlio.dump({"value": text})) == {"value": text}


def test_control_characters_and_newlines_in_a_file_name_stay_on_one_line(tmp_path: Path,
                                                                         ) -> None:
    path = tmp_path / "evil\nerror: forged\x1b[2J\r.yaml"
    path.write_text("kind: [", "utf-8")
    result = run_cli(["config", "check", str(path)])
    assert result.code == 1
    line = _one_error_line(result.err)
    assert "evil\\x0aerror: forged\\x1b[2J\\x0d.yaml" in line
