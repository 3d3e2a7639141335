"""`nim-gitops rotate`: the config edit (comments and layout kept), --plan, and bad calls."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, run_cli


def _copy(tmp_path: Path, example: str) -> Path:
    path = tmp_path / "nim-gitops.yaml"
    shutil.copyfile(EXAMPLES / example / "nim-gitops.yaml", path)
    return path


def _diff(before: str, after: str) -> list[str]:
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines())
            if line[:2] in ("+ ", "- ")]


@pytest.mark.parametrize(("example", "selector", "added"), [
    ("quickstart", "team-a", "+     keyRevision: 1"),
    ("project-keys", "research", "+     keyRevision: 1"),
    ("multi-project", "team-b/mistral", "+       keyRevision: 1"),
])
def test_rotate_adds_one_line_and_keeps_everything_else(tmp_path: Path, example: str,
                                                        selector: str, added: str) -> None:
    config = _copy(tmp_path, example)
    before = config.read_text("utf-8")
    result = run_cli(["rotate", "-c", str(config), selector])
    assert result.code == 0, result.err
    after = config.read_text("utf-8")
    assert _diff(before, after) == [added]
    assert "keyRevision: 1" in result.out  # the diff is shown
    result = run_cli(["rotate", "-c", str(config), selector])
    assert result.code == 0, result.err
    assert _diff(after, config.read_text("utf-8")) == [
        "- " + added[2:], "+ " + added[2:].replace("keyRevision: 1", "keyRevision: 2")]


def test_rotating_a_project_bumps_each_of_its_deployments(tmp_path: Path) -> None:
    config = _copy(tmp_path, "multi-project")
    result = run_cli(["rotate", "-c", str(config), "team-a", "--to", "5"])
    assert result.code == 0, result.err
    text = config.read_text("utf-8")
    assert text.count("keyRevision: 5") == 2 and "keyRevision" not in text.split("team-b")[1]


def test_account_rotation_creates_the_field(tmp_path: Path) -> None:
    config = _copy(tmp_path, "project-keys")
    before = config.read_text("utf-8")
    result = run_cli(["rotate", "-c", str(config), "--account"])
    assert result.code == 0, result.err
    assert _diff(before, config.read_text("utf-8")) == ["+     account:",
                                                        "+       keyRevision: 1"]


def test_plan_prints_restarts_and_gpus_and_writes_nothing(tmp_path: Path) -> None:
    config = _copy(tmp_path, "multi-project")
    before = config.read_bytes()
    result = run_cli(["rotate", "-c", str(config), "team-a", "--plan"])
    assert result.code == 0, result.err
    assert config.read_bytes() == before
    # llama-8b: 2 replicas x 1 GPU, maxSurge 25% -> 1 extra pod; embed: 1 x 1 -> 1 extra pod
    assert "llama-8b-predictor" in result.out and "embed-predictor" in result.out
    assert "project team-a: needs 2 free GPU(s)" in result.out
    assert "NIMService" not in result.out  # no NIM Operator deployment: its rollout unsaid


def test_plan_for_nimservices_counts_no_extra_pods(tmp_path: Path) -> None:
    """The NIM Operator's InferenceService rolls with maxSurge 0: the two NIMServices of
    team-ops need no free GPUs, only its KServe deployment does."""
    config = _copy(tmp_path, "nim-operator")
    before = config.read_bytes()
    result = run_cli(["rotate", "-c", str(config), "team-ops", "--plan"])
    assert result.code == 0, result.err
    assert config.read_bytes() == before
    lines = result.out.splitlines()
    services = [line for line in lines if ": NIMService " in line]
    assert [line.split(":")[0].strip() for line in services] == ["team-ops/llama-8b",
                                                               "team-ops/mistral-7b"]
    assert all("no extra pods, 1 pod(s) down at a time" in line for line in services)
    assert any(line.startswith("  team-ops/llama-kserve: Deployment llama-kserve-predictor")
               for line in lines)
    assert "project team-ops: needs 1 free GPU(s) while it rolls" in lines


def test_plan_for_one_nimservice_names_no_surge_and_no_gpus(tmp_path: Path) -> None:
    config = _copy(tmp_path, "nim-operator")
    text = config.read_text("utf-8")  # a key per deployment, so one NIMService restarts alone
    config.write_text(text.replace("provider: vault\n", "provider: vault\n    scope: deployment\n",
                                   1), "utf-8")
    result = run_cli(["rotate", "-c", str(config), "team-ops/llama-8b", "--plan"])
    assert result.code == 0, result.err
    assert "team-ops/llama-8b: NIMService llama-8b" in result.out
    assert "maxSurge 25%" not in result.out  # KServe's strategy is not this rollout's
    assert "free GPU" not in result.out  # maxSurge 0: the project needs no room


def test_plan_for_the_account_restarts_nothing(tmp_path: Path) -> None:
    config = _copy(tmp_path, "quickstart")
    result = run_cli(["rotate", "-c", str(config), "--account", "--plan"])
    assert result.code == 0, result.err
    assert "no predictor restarts" in result.out


@pytest.mark.parametrize(("example", "args"), [
    ("quickstart", ["team-x"]),                        # no such project
    ("quickstart", ["team-a/nope"]),                   # no such deployment
    ("quickstart", ["team-a/llama-8b/extra"]),         # not PROJECT[/DEPLOYMENT]
    ("quickstart", []),                                # nothing named
    ("quickstart", ["team-a", "--account"]),           # both
    ("project-keys", ["research/llama-8b"]),           # scope project: the project's key
])
def test_bad_calls_are_usage_errors_and_write_nothing(tmp_path: Path, example: str,
                                                      args: list[str]) -> None:
    config = _copy(tmp_path, example)
    before = config.read_bytes()
    result = run_cli(["rotate", "-c", str(config), *args])
    assert result.code == 2, result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert config.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nim-gitops.yaml"]


def test_to_must_move_forward(tmp_path: Path) -> None:
    config = _copy(tmp_path, "quickstart")
    assert run_cli(["rotate", "-c", str(config), "team-a", "--to", "3"]).code == 0
    before = config.read_bytes()
    result = run_cli(["rotate", "-c", str(config), "team-a", "--to", "3"])
    assert result.code == 2 and "team-a is at key revision 3" in result.err
    assert config.read_bytes() == before


def test_a_layout_ruamel_cannot_keep_is_refused(tmp_path: Path) -> None:
    config = _copy(tmp_path, "quickstart")
    text = config.read_text("utf-8").replace("- name: llama-8b", "- name:    llama-8b")
    config.write_text(text, "utf-8")
    result = run_cli(["rotate", "-c", str(config), "team-a"])
    assert result.code == 1 and str(config) in result.err and "by hand" in result.err
    assert config.read_text("utf-8") == text


def test_the_account_needs_target_current(tmp_path: Path) -> None:
    config = _copy(tmp_path, "multi-project")  # target redesign: no Account
    result = run_cli(["rotate", "-c", str(config), "--account"])
    assert result.code == 1 and str(config) in result.err


def test_line_ends_and_bom_are_kept(tmp_path: Path) -> None:
    config = _copy(tmp_path, "quickstart")
    raw = b"\xef\xbb\xbf" + config.read_bytes().replace(b"\n", b"\r\n")
    config.write_bytes(raw)
    assert run_cli(["rotate", "-c", str(config), "team-a"]).code == 0
    after = config.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") and b"\n" not in after.replace(b"\r\n", b"")
    assert after.replace(b"    keyRevision: 1\r\n", b"") == raw


def test_a_project_key_names_the_readers_it_cannot_restart(tmp_path: Path) -> None:
    """On current the wizard's runtimes read the project Account's key too (odh-dashboard
    #9515); Git does not list them, so plan and rotate say plainly they are not restarted."""
    config = _copy(tmp_path, "quickstart")  # current, scope project (the default)
    plan = run_cli(["rotate", "-c", str(config), "team-a", "--plan"])
    assert plan.code == 0, plan.err
    assert "not restarted: deployments created in the dashboard in project team-a" in plan.out
    done = run_cli(["rotate", "-c", str(config), "team-a"])
    assert done.code == 0 and "deployments created in the dashboard" in done.err
    assert "odh-nim-account-pull" in done.err


def test_per_deployment_keys_have_no_unseen_readers(tmp_path: Path) -> None:
    config = _copy(tmp_path, "multi-project")  # scope deployment: nobody else reads the key
    result = run_cli(["rotate", "-c", str(config), "team-b/mistral", "--plan"])
    assert result.code == 0, result.err
    assert "not restarted" not in result.out


def test_plan_counts_an_autoscaled_predictor_at_its_upper_bound(tmp_path: Path) -> None:
    """examples/serving-options: llama-kserve scales between 1 and 3 replicas, so a rollout
    may need room for ceil(3/4) = 1 extra pod, as at 3 replicas."""
    config = _copy(tmp_path, "serving-options")
    result = run_cli(["rotate", "-c", str(config), "team-serving", "--plan"])
    assert result.code == 0, result.err
    line = next(x for x in result.out.splitlines()
                if x.startswith("  team-serving/llama-kserve:"))
    assert "up to 3 replica(s) x 1 GPU(s); 1 extra pod(s), 1 extra GPU(s)" in line
