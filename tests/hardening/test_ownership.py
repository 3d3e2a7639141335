"""Writers never lose what is not theirs (issue #14, scenarios 1-8).

Each test runs the real CLI on a real directory and checks what a user relies on: the exit
code, one error line naming the file, and that nothing was lost, changed or written outside.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator import ownership
from tests.helpers import CRDS, EXAMPLES, REPO, run_cli

MULTI = EXAMPLES / "multi-project/nim-gitops.yaml"
QUICK = EXAMPLES / "quickstart/nim-gitops.yaml"
MIGRATE_DATA = REPO / "tests/data/migrate"


def snapshot(root: Path) -> dict[str, tuple[bytes, int] | None]:
    """Every file (content, mode) and directory (None) below `root`, links not followed."""
    found: dict[str, tuple[bytes, int] | None] = {}
    for current, dirs, names in os.walk(root):
        for name in dirs:
            found[os.path.relpath(os.path.join(current, name), root)] = None
        for name in names:
            path = Path(current) / name
            if path.is_symlink():
                found[str(path.relative_to(root))] = (os.readlink(path).encode(), 0)
            else:
                found[str(path.relative_to(root))] = (path.read_bytes(),
                                                      stat.S_IMODE(path.stat().st_mode))
    return found


def render(config: Path, out: Path | str, *args: str) -> tuple[int, str]:
    result = run_cli(["render", str(config), "-o", str(out), *args])
    return result.code, result.err


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def changed_config(tmp_path: Path, name: str = "changed.yaml") -> Path:
    """The multi-project example with team-b gone and two replicas become three."""
    text = MULTI.read_text("utf-8")
    path = tmp_path / name
    path.write_text(text[: text.index("  - name: team-b")].replace("replicas: 2", "replicas: 3"))
    return path


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


# 1. `chart -o DIR` keeps every file a chart does not contain, dotfiles included.
def test_chart_at_a_repository_root_keeps_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git" / "refs").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / "ci").mkdir()
    (repo / "ci" / "lint-values.yaml").write_text("replicas: 1\n")
    (repo / "values-prod.yaml").write_text("spec: {}\n")
    (repo / "README.md").write_text("# our chart\n")
    before = snapshot(repo)
    for _ in range(2):
        result = run_cli(["chart", "-o", str(repo)])
        assert result.code == 0, result.err
        assert "0 stale removed" in result.err
    after = snapshot(repo)
    assert {rel: after[rel] for rel in before} == before, "a file the chart did not write changed"
    assert (repo / "Chart.yaml").is_file() and (repo / ownership.MANIFEST).is_file()


# 2. `render -o .` in a folder holding other rendered trees.
def test_render_into_a_folder_holding_other_trees_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert render(QUICK, tmp_path / "a")[0] == 0
    assert render(MULTI, tmp_path / "b")[0] == 0
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, err = render(QUICK, ".")
    assert code == 1
    line = one_error_line(err)
    assert "another nim-gitops tree" in line and "--force" in line
    assert snapshot(tmp_path) == before


def test_sibling_trees_of_two_configs_stay_apart(tmp_path: Path) -> None:
    quick, multi = tmp_path / "out" / "quick", tmp_path / "out" / "multi"
    assert render(QUICK, quick)[0] == 0
    assert render(MULTI, multi)[0] == 0
    quick_before = snapshot(quick)
    code, err = render(changed_config(tmp_path), multi)
    assert code == 0 and "6 stale removed" in err
    assert snapshot(quick) == quick_before
    assert render(QUICK, quick, "--check")[0] == 0


def test_trees_of_an_earlier_version_beside_the_output_are_untouched(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The earlier version kept no file list: its trees carry only the header. Not enough."""
    for name, config in (("a", QUICK), ("b", MULTI)):
        assert render(config, tmp_path / name)[0] == 0
        (tmp_path / name / ownership.MANIFEST).unlink()
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, err = render(changed_config(tmp_path), ".")
    assert code == 0, err
    after = snapshot(tmp_path)
    assert {rel: after[rel] for rel in before} == before


def test_a_huge_output_directory_is_refused(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """`-o /` or `-o ~` must not walk the disk: past a bound the directory is refused."""
    monkeypatch.setattr(ownership, "MAX_SCAN", 5)
    for index in range(6):
        (tmp_path / f"file-{index}.txt").write_text("x\n")
    code, err = render(QUICK, tmp_path)
    assert code == 1 and "--force" in one_error_line(err)
    assert not (tmp_path / "kustomization.yaml").exists()


def test_render_inside_another_tree_is_refused(tmp_path: Path) -> None:
    assert render(MULTI, tmp_path / "out")[0] == 0
    before = snapshot(tmp_path)
    code, err = render(QUICK, tmp_path / "out" / "projects" / "extra")
    assert code == 1 and "inside the nim-gitops tree" in one_error_line(err)
    assert snapshot(tmp_path) == before


# 3. A user's copy of a rendered file survives the next render.
def test_an_edited_copy_of_a_rendered_file_survives(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(MULTI, out)[0] == 0
    copy = out / "overlays" / "prod" / "my-isvc.yaml"
    copy.parent.mkdir(parents=True)
    text = (out / "projects/team-b/inferenceservice-mistral.yaml").read_text()
    copy.write_text(text.replace("mistral", "my-mistral"))
    code, err = render(changed_config(tmp_path), out)
    assert code == 0, err
    assert copy.read_text() == text.replace("mistral", "my-mistral")
    assert not (out / "projects/team-b").exists()


# 4. A user-written file at a generated path is not replaced.
def test_a_users_kustomization_at_a_generated_path_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(QUICK, tmp_path / "nim-gitops.yaml")
    (tmp_path / "kustomization.yaml").write_text("resources: [my-app]\n")
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, err = render(Path("nim-gitops.yaml"), ".")
    assert code == 1
    line = one_error_line(err)
    assert "kustomization.yaml" in line and "--force" in line
    assert snapshot(tmp_path) == before, "a refused render wrote something"
    code, err = render(Path("nim-gitops.yaml"), ".", "--force")
    assert code == 0 and "--force: took over 1 path" in err
    assert "Kustomization" in (tmp_path / "kustomization.yaml").read_text()
    assert (tmp_path / "nim-gitops.yaml").read_bytes() == QUICK.read_bytes()


def test_an_edited_rendered_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(MULTI, out)[0] == 0
    isvc = out / "projects/team-a/inferenceservice-llama-8b.yaml"
    isvc.write_text(isvc.read_text() + "# tuned by hand\n")
    before = snapshot(out)
    code, err = render(changed_config(tmp_path), out)
    assert code == 1 and "changed since nim-gitops wrote it" in one_error_line(err)
    assert snapshot(out) == before
    assert render(changed_config(tmp_path), out, "--force")[0] == 0
    assert "# tuned by hand" not in isvc.read_text()


def test_an_edited_file_that_is_no_longer_produced_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(MULTI, out)[0] == 0
    pvc = out / "projects/team-b/persistentvolumeclaim-mistral-cache.yaml"
    pvc.write_text(pvc.read_text() + "# keep me\n")
    code, err = render(changed_config(tmp_path), out)
    assert code == 0 and "5 stale removed" in err and "kept" in err
    assert pvc.read_text().endswith("# keep me\n")


def test_a_copied_file_list_does_not_make_files_ours(tmp_path: Path) -> None:
    """A list only counts for files whose content it matches."""
    out, other = tmp_path / "out", tmp_path / "other"
    assert render(QUICK, out)[0] == 0
    other.mkdir()
    shutil.copy(out / ownership.MANIFEST, other / ownership.MANIFEST)
    (other / "kustomization.yaml").write_text("resources: [mine]\n")
    code, err = render(MULTI, other)
    assert code == 1 and "kustomization.yaml" in one_error_line(err)
    assert (other / "kustomization.yaml").read_text() == "resources: [mine]\n"


def test_ownership_survives_a_copy_of_the_tree_and_a_renamed_config(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(MULTI, out)[0] == 0
    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(out, copy)
    renamed = tmp_path / "prod.yaml"
    shutil.copy(MULTI, renamed)
    assert render(renamed, copy, "--check")[0] == 0
    code, err = render(changed_config(tmp_path), copy)
    assert code == 0 and "6 stale removed" in err
    assert not (copy / "projects/team-b").exists()
    assert render(MULTI, out, "--check")[0] == 0, "the original is untouched"


def test_a_tree_of_an_earlier_version_is_adopted_only_with_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(MULTI, out)[0] == 0
    (out / ownership.MANIFEST).unlink()
    before = snapshot(out)
    code, err = render(changed_config(tmp_path), out)
    assert code == 1 and "--force to adopt" in one_error_line(err)
    assert snapshot(out) == before
    assert render(changed_config(tmp_path), out, "--force")[0] == 0
    assert render(changed_config(tmp_path), out, "--check")[0] == 0


def test_an_unchanged_tree_of_an_earlier_version_is_adopted(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(MULTI, out)[0] == 0
    (out / ownership.MANIFEST).unlink()
    code, err = render(MULTI, out, "--check")
    assert code == 1 and f"  missing: {ownership.MANIFEST}" in err.splitlines()
    assert render(MULTI, out)[0] == 0
    assert render(MULTI, out, "--check")[0] == 0


def test_a_broken_file_list_is_named_with_its_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(QUICK, out)[0] == 0
    manifest = out / ownership.MANIFEST
    manifest.write_text(manifest.read_text() + f"{'0' * 64}  ../../outside.txt\n")
    lines = manifest.read_text().count("\n")
    code, err = render(QUICK, out)
    assert code == 1 and f"{manifest}:{lines}:" in one_error_line(err)


# 5. A symlinked directory inside the output tree is never written through.
@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_a_symlinked_directory_below_the_output_is_refused(tmp_path: Path,
                                                           force: list[str]) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    outside.mkdir()
    out.mkdir()
    (out / "projects").symlink_to(Path("..") / "outside")
    before = snapshot(tmp_path)
    code, err = render(QUICK, out, *force)
    assert code == 1
    line = one_error_line(err)
    assert str(out / "projects") in line and "symbolic link" in line
    assert snapshot(tmp_path) == before and not any(outside.iterdir())


def test_stale_files_are_not_removed_through_a_link(tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside"
    assert render(MULTI, out)[0] == 0
    shutil.move(out / "projects" / "team-b", outside)
    (out / "projects" / "team-b").symlink_to(outside)
    before = snapshot(outside)
    code, err = render(changed_config(tmp_path), out)
    assert code == 1 and "symbolic link" in one_error_line(err)
    assert snapshot(outside) == before


# 6. Names from input data cannot leave -o.
def test_schemas_build_refuses_a_crd_group_that_leaves_the_output(tmp_path: Path) -> None:
    crd_text = (CRDS / "serving.kserve.io_inferenceservices.yaml").read_text("utf-8")
    hostile = tmp_path / "in" / "evil.yaml"
    hostile.parent.mkdir()
    for old, new in (("group: serving.kserve.io", "group: ../../../x"),
                     ("name: v1beta1", "name: v1/../../package")):
        bad = crd_text.replace(old, new, 1)
        assert bad != crd_text
        hostile.write_text(bad)
        before = snapshot(tmp_path)
        result = run_cli(["schemas", "build", str(hostile), "-o", str(tmp_path / "w" / "o")])
        assert result.code == 1
        line = one_error_line(result.err)
        assert str(hostile) in line and "spec." in line
        assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("field", "value"), [("namespace", "../../evil"),
                                              ("name", "x/../../../evil")])
def test_migrate_render_refuses_names_that_leave_the_output(tmp_path: Path, field: str,
                                                            value: str) -> None:
    text = (MIGRATE_DATA / "mixed.yaml").read_text("utf-8")
    export = tmp_path / "export.yaml"
    needle = "    name: " if field == "name" else "    namespace: "
    start = text.index(needle) + len(needle)
    end = text.index("\n", start)
    export.write_text(text[:start] + f'"{value}"' + text[end:])
    before = snapshot(tmp_path)
    result = run_cli(["migrate", "render", str(export), "-o", str(tmp_path / "o"),
                      "--provider", "none"])
    assert result.code == 1
    line = one_error_line(result.err)
    assert str(export) in line and f"metadata.{field}" in line
    assert snapshot(tmp_path) == before


# 7. A conflict is found before anything is written.
def test_a_file_where_a_directory_must_go_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "projects").mkdir(parents=True)
    (out / "projects" / "team-a").write_text("not a directory\n")
    before = snapshot(tmp_path)
    code, err = render(MULTI, out)
    assert code == 1
    assert str(out / "projects" / "team-a") in one_error_line(err)
    assert snapshot(tmp_path) == before


def test_output_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file.yaml"
    target.write_text("mine\n")
    for args in (["render", str(QUICK), "-o", str(target)], ["chart", "-o", str(target)]):
        result = run_cli(args)
        assert result.code == 1
        assert one_error_line(result.err) == f"error: {target}: is a file, not a directory"
    assert target.read_text() == "mine\n" and sorted(tmp_path.iterdir()) == [target]


# 8. File modes follow the umask, or the previous file.
@pytest.mark.usefixtures("umask_022")
def test_new_files_follow_the_umask_and_rewrites_keep_the_mode(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(MULTI, out)[0] == 0
    modes = {rel: mode for rel, value in snapshot(out).items() if value for _, mode in [value]}
    assert set(modes.values()) == {0o644}
    isvc = out / "projects/team-a/inferenceservice-llama-8b.yaml"
    isvc.chmod(0o640)
    assert render(changed_config(tmp_path), out)[0] == 0
    assert stat.S_IMODE(isvc.stat().st_mode) == 0o640
    assert "maxReplicas: 3" in isvc.read_text()
    os.umask(0o027)
    assert render(QUICK, tmp_path / "private")[0] == 0
    assert stat.S_IMODE((tmp_path / "private/kustomization.yaml").stat().st_mode) == 0o640


# render --diff
def test_diff_shows_objects_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(MULTI, out)[0] == 0
    before = snapshot(out)
    same = run_cli(["render", str(MULTI), "-o", str(out), "--diff"])
    assert same.code == 0 and same.out == ""
    result = run_cli(["render", str(changed_config(tmp_path)), "-o", str(out), "--diff"])
    assert result.code == 1
    lines = result.out.splitlines()
    assert "changed: InferenceService team-a/llama-8b" in lines
    assert "  +    maxReplicas: 3" in lines
    assert "removed: ServingRuntime team-b/mistral" in lines
    assert not [line for line in lines if line.startswith("added:")]
    assert snapshot(out) == before
    fresh = run_cli(["render", str(QUICK), "-o", str(tmp_path / "new"), "--diff"])
    assert fresh.code == 1 and "added: InferenceService team-a/llama-8b" in fresh.out
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("args", [["-o", "-", "--diff"], ["-o", "out", "--diff", "--check"]])
def test_diff_usage_errors(tmp_path: Path, args: list[str]) -> None:
    result = run_cli(["render", str(QUICK), *args])
    assert result.code == 2 and not (tmp_path / "out").exists()


def test_a_file_list_cannot_name_files_outside_what_the_tool_writes(tmp_path: Path) -> None:
    """A committed list naming `.git/config` with its true hash still does not make it ours."""
    out = tmp_path / "out"
    assert render(QUICK, out)[0] == 0
    git_config = out / ".git" / "config"
    git_config.parent.mkdir()
    git_config.write_text("[core]\n")
    manifest = out / ownership.MANIFEST
    digest = ownership.digest(git_config.read_bytes())
    manifest.write_text(manifest.read_text() + f"{digest}  .git/config\n")
    code, err = render(QUICK, out)
    assert code == 0, err
    assert git_config.read_text() == "[core]\n"


def test_a_tree_of_another_command_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(QUICK, out)[0] == 0
    before = snapshot(out)
    result = run_cli(["chart", "-o", str(out)])
    assert result.code == 1
    line = one_error_line(result.err)
    assert "`nim-gitops render`" in line and "--force" in line
    assert snapshot(out) == before


def test_schemas_build_replaces_only_its_own_schemas(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    first, other = CRDS / "apps.nvidia.com_nimcaches.yaml", CRDS / "argoproj.io_applications.yaml"
    assert run_cli(["schemas", "build", str(first), str(other), "-o", str(out)]).code == 0
    assert (out / "argoproj.io").is_dir()
    mine = out / "notes.md"
    mine.write_text("our schema notes\n")
    before = {p.name for p in out.rglob("*.json")}
    result = run_cli(["schemas", "build", str(first), "-o", str(out)])
    assert result.code == 0 and "stale removed" in result.err
    after = {p.name for p in out.rglob("*.json")}
    assert after and after < before, "the second CRD's schemas are gone"
    assert mine.read_text() == "our schema notes\n"
    assert not (out / "argoproj.io").exists(), "the emptied group directory is removed"
