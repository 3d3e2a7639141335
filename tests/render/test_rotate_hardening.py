"""`nim-gitops rotate` hardening (issue 27): shared YAML nodes, symbolic links, line endings
and flow mappings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, run_cli

LLAMA = "    - name: llama-8b\n"
MISTRAL = """    - name: mistral
      model: mistral-7b-instruct-v0.3
      tag: 1.12.0
      gpus: 1
      apiKey:
        vault: {path: "shared/team-b", key: ngc}
"""


def _write(tmp_path: Path, example: str, *edits: tuple[str, str]) -> Path:
    """The example's config in `tmp_path`, each (old, new) edit made once."""
    text = (EXAMPLES / example / "nim-gitops.yaml").read_text("utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "nim-gitops.yaml"
    path.write_text(text, "utf-8")
    return path


def _refused(tmp_path: Path, config: Path, args: list[str]) -> str:
    """Run `rotate`, check it is a one-line usage error that wrote nothing; return stderr."""
    before = config.read_bytes()
    result = run_cli(["rotate", "-c", str(config), *args])
    assert result.code == 2, (result.out, result.err)
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert config.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nim-gitops.yaml"]
    return result.err


# team-b's deployments are team-a's, through an alias
ALIASED_LIST = (("  - name: team-a\n    deployments:\n",
                 "  - name: team-a\n    deployments: &deps\n"),
                ("    deployments:\n" + MISTRAL, "    deployments: *deps\n"))
# team-b/mistral merges team-a/llama-8b's mapping in
MERGED = ((LLAMA, "    - &llama\n      name: llama-8b\n"),
          ("    - name: mistral\n", "    - <<: *llama\n      name: mistral\n"))
# the same, with a key revision in team-a/llama-8b's mapping that team-b/mistral reads too
MERGED_REVISION = (*MERGED, ("      replicas: 2\n", "      replicas: 2\n      keyRevision: 3\n"))
# two deployments share one scalar
ALIASED_SCALAR = (("      replicas: 2\n", "      replicas: 2\n      keyRevision: &rev 3\n"),
                  ("      protocol: grpc\n", "      protocol: grpc\n      keyRevision: *rev\n"))


@pytest.mark.parametrize(("edits", "args", "holder", "anchor"), [
    (ALIASED_LIST, ["team-a/llama-8b"], "team-a/llama-8b", "&deps"),
    (ALIASED_LIST, ["team-b"], "team-b/llama-8b", "&deps"),
    (ALIASED_LIST, ["team-a", "--plan"], "team-a/llama-8b", "&deps"),
    (MERGED, ["team-a/llama-8b"], "team-a/llama-8b", "&llama"),
    (MERGED_REVISION, ["team-b/mistral"], "team-b/mistral", "&llama"),
    (MERGED_REVISION, ["team-b/mistral", "--plan"], "team-b/mistral", "&llama"),
    (ALIASED_SCALAR, ["team-a/embed", "--to", "4"], "team-a/embed", "&rev"),
])
def test_a_revision_the_yaml_shares_is_refused(tmp_path: Path, edits: tuple[tuple[str, str]],
                                               args: list[str], holder: str,
                                               anchor: str) -> None:
    """Bumping a node that anchors, aliases or merge keys share would rotate other holders
    too, unplanned: refused, naming the file, the holder and the anchor."""
    config = _write(tmp_path, "multi-project", *edits)
    err = _refused(tmp_path, config, args)
    assert f"{config}: {holder}'s keyRevision lives in a node the YAML shares" in err
    assert f"(anchor {anchor}); set it by hand or un-share the node" in err


def test_a_holder_that_merges_a_mapping_in_gets_its_own_revision(tmp_path: Path) -> None:
    """team-b/mistral merges llama-8b's mapping, which has no keyRevision: the new key goes
    into mistral's own mapping, and team-a is left alone."""
    config = _write(tmp_path, "multi-project", *MERGED)
    before = config.read_text("utf-8")
    result = run_cli(["rotate", "-c", str(config), "team-b/mistral"])
    assert result.code == 0, result.err
    after = config.read_text("utf-8")
    assert after.replace("      keyRevision: 1\n", "", 1) == before
    assert after.index("keyRevision") > after.index("<<: *llama")


def test_a_linked_config_is_edited_through_the_link(tmp_path: Path) -> None:
    """The link stays a link; its target file gets the new revision."""
    real = tmp_path / "repo" / "nim-gitops.yaml"
    real.parent.mkdir()
    shutil.copyfile(EXAMPLES / "quickstart" / "nim-gitops.yaml", real)
    link = tmp_path / "link.yaml"
    link.symlink_to(Path("repo") / "nim-gitops.yaml")
    before = real.read_text("utf-8")
    result = run_cli(["rotate", "-c", str(link), "team-a"])
    assert result.code == 0, result.err
    assert link.is_symlink() and link.readlink() == Path("repo") / "nim-gitops.yaml"
    assert real.read_text("utf-8") == before.replace(
        "  - name: team-a\n", "  - name: team-a\n    keyRevision: 1\n", 1)
    assert sorted(p.name for p in real.parent.iterdir()) == ["nim-gitops.yaml"]


def _mixed(raw: bytes) -> bytes:
    """`raw` with LF and CRLF line ends taking turns."""
    lines = raw.split(b"\n")
    return b"".join(line + (b"\r\n" if i % 2 else b"\n") for i, line in enumerate(lines[:-1]))


@pytest.mark.parametrize("convert", [_mixed, lambda raw: raw.replace(b"\n", b"\r"),
                                     lambda raw: raw.rstrip(b"\n").replace(b"\n", b"\r\n")],
                         ids=["mixed", "cr-only", "crlf-no-final-newline"])
def test_each_line_keeps_its_own_ending(tmp_path: Path, convert: object) -> None:
    """Only the added line is new; it takes the ending of the line before it, and every other
    byte is kept, also on the second rotation that changes the number."""
    assert callable(convert)
    config = tmp_path / "nim-gitops.yaml"
    raw = convert((EXAMPLES / "quickstart" / "nim-gitops.yaml").read_bytes())
    config.write_bytes(raw)
    head = raw.index(b"  - name: team-a") + len(b"  - name: team-a")
    end = b"\r\n" if raw[head:head + 2] == b"\r\n" else raw[head:head + 1]
    expected = raw[:head] + end + b"    keyRevision: 1" + raw[head:]
    assert run_cli(["rotate", "-c", str(config), "team-a"]).code == 0
    assert config.read_bytes() == expected
    assert run_cli(["rotate", "-c", str(config), "team-a"]).code == 0
    assert config.read_bytes() == expected.replace(b"keyRevision: 1", b"keyRevision: 2")


FLOW = "    - {name: mistral, model: mistral-7b-instruct-v0.3, tag: 1.12.0, gpus: 1}  # note\n"


def test_a_flow_mapping_gets_the_revision_inside_it(tmp_path: Path) -> None:
    """`- {name: a, ...}  # note` gains `, keyRevision: N` before its `}`; the comment and
    every other byte stay; a bump then changes only the number."""
    config = _write(tmp_path, "multi-project", (MISTRAL, FLOW))
    before = config.read_text("utf-8")
    result = run_cli(["rotate", "-c", str(config), "team-b/mistral"])
    assert result.code == 0, result.err
    added = FLOW.replace("gpus: 1}", "gpus: 1, keyRevision: 1}")
    assert config.read_text("utf-8") == before.replace(FLOW, added)
    result = run_cli(["rotate", "-c", str(config), "team-b/mistral", "--to", "12"])
    assert result.code == 0, result.err
    assert config.read_text("utf-8") == before.replace(FLOW, added.replace(": 1}", ": 12}"))


def test_a_comment_after_a_bumped_revision_keeps_its_place(tmp_path: Path) -> None:
    config = _write(tmp_path, "quickstart",
                    ("  - name: team-a\n", "  - name: team-a\n    keyRevision: 9  # May\n"))
    before = config.read_text("utf-8")
    result = run_cli(["rotate", "-c", str(config), "team-a"])
    assert result.code == 0, result.err
    assert config.read_text("utf-8") == before.replace("9  # May", "10  # May")
