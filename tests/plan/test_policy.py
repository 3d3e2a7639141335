"""`plan`'s exit codes: 0 when every policy holds, 1 when one fails (the plan is still shown,
one error line names the limit), 2 for a wrong call; and its colours."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from generator import console
from generator.plan.report import text
from tests.helpers import one_error_line, run_cli
from tests.plan.conftest import CONFIG
from tests.plan.test_plan import plan_json

Checkout = Callable[[str], Path]


def test_gpus_within_every_limit_pass(at: Checkout) -> None:
    at("tag-change")
    # 5 GPUs after the change, 1 more while llama-8b rolls: 6 at the peak; team-a 2 + 1
    result = run_cli(["plan", CONFIG, "--base", "remove", "--max-gpus", "6",
                      "--max-gpus", "team-a=3"])
    assert result.code == 0, result.err


def test_a_total_over_the_limit_fails_with_the_plan_shown(at: Checkout) -> None:
    at("tag-change")
    result = run_cli(["plan", CONFIG, "--base", "remove", "--max-gpus", "5"])
    assert result.out.startswith("plan: remove:nim-gitops.yaml -> nim-gitops.yaml\n")
    assert one_error_line(result, 1) == (
        "error: nim-gitops.yaml: policy failed: --max-gpus 5: the change needs 6 GPUs at its "
        "peak (pods plus rolling-restart surge)")


def test_a_project_over_its_limit_fails(at: Checkout) -> None:
    at("tag-change")
    result = run_cli(["plan", CONFIG, "--base", "remove", "--max-gpus", "team-a=2",
                      "--max-gpus", "team-b=9", "--format", "json"])
    assert one_error_line(result, 1) == (
        "error: nim-gitops.yaml: policy failed: --max-gpus team-a=2: project team-a needs 3 "
        "GPUs at its peak (pods plus rolling-restart surge)")
    assert '"passed": false' in result.out


def test_fail_on_prune(at: Checkout) -> None:
    at("remove")
    assert run_cli(["plan", CONFIG, "--base", "add"]).code == 0
    result = run_cli(["plan", CONFIG, "--base", "add", "--fail-on-prune", "--format",
                      "markdown"])
    assert result.code == 1
    assert "> Policy failed: --fail-on-prune: 3 object(s) would be pruned" in result.out
    at("tag-change")
    assert run_cli(["plan", CONFIG, "--base", "remove", "--fail-on-prune"]).code == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--max-gpus", "lots"], "--max-gpus lots: give N or PROJECT=N (N a whole number)"),
    (["--base", "no-such-ref"], "--base no-such-ref: not a commit of"),
    (["--base", "add", "--base-file", CONFIG], "give --base REF or --base-file FILE, not both"),
    (["-c", CONFIG], "give the config once: as CONFIG (nim-gitops.yaml) or with -c/--config "
                     "(nim-gitops.yaml), not both"),
])
def test_wrong_calls_exit_2_in_one_line(at: Checkout, args: list[str], message: str) -> None:
    at("add")
    result = run_cli(["plan", CONFIG, *args])
    assert message in one_error_line(result, 2)
    assert result.out == ""


def test_outside_git_needs_base_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    config = tmp_path / CONFIG
    from tests.plan.conftest import BASE

    config.write_text(BASE.replace("    catalog:\n      file: nim-models-data.yaml\n"
                                   "      extended: nim-models-details.json\n", ""), "utf-8")
    result = run_cli(["plan", CONFIG])
    assert result.code == 2 and "is not in a Git repository; use --base-file FILE" in result.err
    old = tmp_path / "old.yaml"
    old.write_text(config.read_text("utf-8").replace("replicas: 2", "replicas: 4"), "utf-8")
    result = run_cli(["plan", CONFIG, "--base-file", str(old), "--format", "json"])
    assert result.code == 0, result.err
    (change,) = json.loads(result.out)["deployments"]
    assert change["fields"] == [{"field": "replicas", "old": 4, "new": 2}]


def test_an_invalid_base_is_named_by_revision_and_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The base's own errors say where they are: `REV:path:line`, not a temporary file."""
    from tests.plan.conftest import BASE, commit, git

    git(tmp_path, "init", "-q")
    plain = BASE.replace("    catalog:\n      file: nim-models-data.yaml\n"
                         "      extended: nim-models-details.json\n", "")
    commit(tmp_path, "broken", plain.replace("tag: 1.15.4", "tag: 9.9.9"))
    (tmp_path / CONFIG).write_text(plain, "utf-8")
    monkeypatch.chdir(tmp_path)
    line = one_error_line(run_cli(["plan", CONFIG, "--base", "broken"]), 1)
    assert line.startswith('error: broken:nim-gitops.yaml:17 spec.projects[0].deployments[0].tag: '
                           '"9.9.9" is not a tag of "llama-3.1-8b-instruct"')


def test_colour_only_on_a_terminal_without_no_color(at: Checkout,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    doc = plan_json(at, "team-removal", "rotation")
    coloured = text(doc, color=True)
    assert "\x1b[" in coloured and click.unstyle(coloured) == text(doc, color=False)

    class Terminal:
        def isatty(self) -> bool:
            return True

    assert console.color_enabled(Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not console.color_enabled(Terminal())
    assert "\x1b[" not in run_cli(["plan", CONFIG, "--base", "rotation"]).out
