"""A config's aliases cannot multiply its output (issue #27, item 19): a few KB of YAML that
alias one large map into every deployment is refused in one line, in a config file and in a
KRM functionConfig alike, while a config that shares small maps still renders."""

from __future__ import annotations

from pathlib import Path

from generator import yamlio
from tests.helpers import run_cli

HEAD = ["apiVersion: nim-gitops.opendatahub.io/v1alpha1", "kind: NimGitOps",
        "metadata: {name: a}", "spec:", "  projects:", "  - name: p", "    deployments:"]


def _aliased(keys: int, deployments: int) -> str:
    """One deployment's requests map of `keys` entries, aliased by `deployments` - 1 others."""
    mapping = ", ".join(f"example.com/r{i}: '1'" for i in range(keys))
    lines = [*HEAD, "    - name: d0", "      model: llama-3.1-8b-instruct",
             f"      resources: {{requests: &r {{{mapping}}}}}"]
    for i in range(1, deployments):
        lines += [f"    - name: d{i}", "      model: llama-3.1-8b-instruct",
                  "      resources: {requests: *r}"]
    return "\n".join(lines) + "\n"


def test_an_amplifying_config_is_refused_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "nim-gitops.yaml"
    config.write_text(_aliased(400, 300), "utf-8")  # 34 KB expanding to 120,000 nodes
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 1 and result.out == ""
    (line,) = result.err.strip().splitlines()
    assert str(config) in line and "aliases expand to more than 50,000 nodes" in line


def test_the_same_in_a_krm_function_config_is_refused(tmp_path: Path) -> None:
    config = _aliased(400, 300).replace("\n", "\n  ")
    text = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
            f"functionConfig:\n  {config}")
    result = run_cli(["krm"], input=text)
    assert result.code == 1
    assert "aliases expand to more than" in result.err


def test_a_config_sharing_small_maps_still_renders(tmp_path: Path) -> None:
    config = tmp_path / "nim-gitops.yaml"
    config.write_text(_aliased(3, 50), "utf-8")
    result = run_cli(["render", str(config), "-o", "-"])
    assert result.code == 0, result.err
    runtimes = [o for o in yamlio.load_all(result.out, "r") if o["kind"] == "InferenceService"]
    assert len(runtimes) == 50
