"""Secret hygiene across the whole CLI: the NGC key never comes back out.

The commands are enumerated from the click tree (`generator.cli.COMMANDS`), so a command added
later is run here too: with a recipe below when one exists, otherwise with its required
arguments filled in. Each runs once per key channel it offers ($NGC_API_KEY always,
`--api-key-file` and `--api-key-stdin` where it has them; the key is also on stdin for every
command that does not read stdin itself), once more with the key pasted into a config value,
and the key must not appear in stdout, stderr (tracebacks included: `--debug`), or any file
the command wrote.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from generator import yamlio
from generator.cli import cli
from tests.airgap.registry_server import Registry, serve
from tests.helpers import CRDS, FAKE_KEY, SNAPSHOT, run_cli
from tests.ngc_server import NgcServer

CommandPath = tuple[str, ...]
SECRET_OPTION = re.compile(r"^--?(api[-_]?key|key|token|password|passwd|secret|credentials?)$",
                           re.IGNORECASE)
CONFIG = {
    "apiVersion": "nim-gitops.opendatahub.io/v1alpha1",
    "kind": "NimGitOps",
    "metadata": {"name": "hygiene"},
    "spec": {
        "secrets": {"provider": "external-secrets",
                    "externalSecrets": {"storeRef": {"name": "ngc-keys"}}},
        "projects": [{"name": "team-a", "deployments": [
            {"name": "llama-8b", "model": "llama-3.1-8b-instruct", "tag": "1.15.5"}]}],
    },
}
EXPORT = Path(__file__).parents[1] / "data" / "migrate" / "mixed.yaml"

# what makes each command do real work; {config}, {out}, {ngc}, {registry}, ... are filled in
RECIPES: dict[CommandPath, list[str]] = {
    ("init",): ["{out}/init.yaml"],
    ("config", "schema"): [],
    ("config", "check"): ["{config}"],
    ("render",): ["{config}", "-o", "{out}/rendered"],
    ("validate",): ["--ignore-missing-schemas", "{manifests}"],
    ("schemas", "build"): ["{crds}", "-o", "{out}/schemas"],
    ("metadata", "generate"): ["-o", "{out}/cm.yaml", "--report", "{out}/report.md",
                               "--ngc-url", "{ngc}", "--retries", "0"],
    ("metadata", "detect-eu"): ["-o", "{out}/eu.json", "--ngc-url", "{ngc}", "--retries", "0"],
    ("metadata", "validate"): ["{catalog}"],
    ("metadata", "diff"): ["{catalog}", "{catalog}"],
    ("key", "validate"): ["--ngc-url", "{ngc}", "--retries", "0"],
    ("chart",): ["-o", "{out}/chart"],
    ("values",): ["{config}", "-o", "{out}/values.yaml"],
    ("krm",): [],
    ("airgap", "images"): ["{config}", "-o", "{out}/images.txt"],
    ("airgap", "lock"): ["{config}", "--registry-url", "{registry}"],
    ("migrate", "plan"): ["{export}"],
    ("migrate", "render"): ["{export}", "-o", "{out}/migrate", "--config", "{config}"],
}
READS_STDIN = {("krm",)}
RECEIVED: list[bool] = []  # positive control: did the servers see the key (or its token)?


def leaf_commands() -> Iterator[tuple[CommandPath, click.Command]]:
    """Every runnable command of the CLI, depth first."""
    ctx = click.Context(cli)

    def walk(group: click.Group, prefix: CommandPath) -> Iterator[tuple[CommandPath,
                                                                        click.Command]]:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            if isinstance(command, click.Group):
                yield from walk(command, (*prefix, name))
            else:
                yield (*prefix, name), command

    yield from walk(cli, ())


def _options(command: click.Command) -> set[str]:
    return {o for p in command.params if isinstance(p, click.Option) for o in p.opts}


def _generic_args(command: click.Command) -> list[str]:
    """Required arguments and options of a command without a recipe."""
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Argument) and param.required:
            args.append("{config}")
        elif isinstance(param, click.Option) and param.required:
            args += [param.opts[-1], "{out}/" + (param.name or "value")]
    return args


@pytest.fixture
def inputs(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Files and servers the recipes name; the key is registered with both servers."""
    work = tmp_path / "in"
    work.mkdir()
    config = work / "nim-gitops.yaml"
    config.write_text(yamlio.dump(CONFIG), "utf-8")
    manifests = work / "manifests.yaml"
    assert run_cli(["render", str(config), "-o", str(work / "rendered")]).code == 0
    manifests.write_text(run_cli(["render", str(config), "-o", "-"]).out, "utf-8")
    catalog = work / "catalog.yaml"
    shutil.copyfile(SNAPSHOT, catalog)
    registry = Registry(key=FAKE_KEY)
    registry.add("nim/meta/llama-3.1-8b-instruct", "1.15.5")
    entry = {"name": "llama-3.1-8b-instruct", "displayName": "Llama",
             "shortDescription": "d", "namespace": "nim/meta", "tags": ["1.15.5"],
             "latestTag": "1.15.5", "updatedDate": "2025-01-01T00:00:00.000Z"}
    with NgcServer([entry]) as ngc, serve(registry) as registry_url:
        yield {"config": str(config), "manifests": str(manifests), "catalog": str(catalog),
               "crds": str(CRDS), "export": str(EXPORT), "ngc": ngc.base_url,
               "registry": registry_url, "out": str(tmp_path / "out")}
    RECEIVED.append(any(r.headers.get("Authorization") == f"Bearer {FAKE_KEY}"
                        for r in ngc.requests))
    RECEIVED.append(any(FAKE_KEY in auth or auth.startswith("Bearer")
                        for _, auth in registry.log))


def _channels(command: click.Command, path: CommandPath, key_file: Path,
              ) -> list[tuple[str, list[str], str | None]]:
    """(label, extra args, stdin) for each way the command can be handed the key."""
    stdin = None if path in READS_STDIN else FAKE_KEY + "\n"
    channels = [("env", [], stdin)]
    if "--api-key-file" in _options(command):
        channels.append(("file", ["--api-key-file", str(key_file)], stdin))
    if "--api-key-stdin" in _options(command):
        channels.append(("stdin", ["--api-key-stdin"], FAKE_KEY + "\n"))
    return channels


def _krm_input(config_path: str) -> str:
    config = yamlio.load_one(Path(config_path).read_text("utf-8"), config_path)
    return yamlio.dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
                        "items": [], "functionConfig": config})


def _assert_clean(label: str, texts: list[str], out: Path) -> None:
    body = FAKE_KEY.removeprefix("nvapi-")
    for text in texts:
        assert FAKE_KEY not in text and body not in text, label
    if out.exists():
        for path in out.rglob("*"):
            if path.is_file():
                data = path.read_text("utf-8", "replace")
                assert FAKE_KEY not in data and body not in data, (label, path)


def test_every_command_keeps_the_key_to_itself(inputs: dict[str, str], tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(FAKE_KEY + "\n")
    leaked_config = tmp_path / "in" / "pasted.yaml"
    pasted = yamlio.load_one(Path(inputs["config"]).read_text("utf-8"), "config")
    pasted["spec"]["secrets"]["externalSecrets"]["remoteRef"] = {"key": FAKE_KEY}
    leaked_config.write_text(yamlio.dump(pasted), "utf-8")
    ran: list[CommandPath] = []
    for path, command in leaf_commands():
        template = RECIPES.get(path, _generic_args(command))
        for config, scenario in ((inputs["config"], "clean"), (str(leaked_config), "pasted")):
            values = {**inputs, "config": config}
            for channel, extra, stdin in _channels(command, path, key_file):
                out = Path(inputs["out"])
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                args = [a.format(**values) for a in template]
                if path in READS_STDIN:
                    stdin = _krm_input(config)
                label = f"{' '.join(path)} [{scenario}, key via {channel}]"
                result = run_cli(["--debug", *path, *args, *extra], input=stdin,
                                 env={"NGC_API_KEY": FAKE_KEY})
                assert result.code != 70, (label, result.err)  # no unexpected errors
                if scenario == "clean" and path in RECIPES:
                    assert result.code == 0, (label, result.err)
                _assert_clean(label, [result.out, result.err], out)
        ran.append(path)
    assert {("render",), ("krm",), ("metadata", "generate"), ("key", "validate")} <= set(ran)
    assert set(RECIPES) - set(ran) <= {("validate",), ("schemas", "build")}, "stale recipes"


def test_the_key_did_reach_the_servers() -> None:
    """The positive control of the test above: the key went where it should, as a header."""
    if not RECEIVED:
        pytest.skip("runs after test_every_command_keeps_the_key_to_itself")
    assert RECEIVED[:2] == [True, True]


def test_a_key_pasted_into_the_config_is_refused_without_being_shown(
    inputs: dict[str, str], tmp_path: Path,
) -> None:
    """`remoteRef.key` is the key's *path* in the store; pasting the key there would put it
    into Git through the ExternalSecret. The config is refused and the value not echoed."""
    config = yamlio.load_one(Path(inputs["config"]).read_text("utf-8"), "config")
    config["spec"]["secrets"]["externalSecrets"]["remoteRef"] = {"key": FAKE_KEY}
    path = tmp_path / "pasted.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    result = run_cli(["render", str(path), "-o", str(tmp_path / "out")])
    assert result.code == 1
    assert "spec.secrets.externalSecrets.remoteRef.key: looks like an NGC API key" in result.err
    assert FAKE_KEY not in result.err and not (tmp_path / "out").exists()


def test_no_option_takes_a_secret_as_its_value() -> None:
    """Keys come from the environment, a file or stdin; never from argv (shell history, ps)."""
    checked = 0
    for path, command in leaf_commands():
        for param in command.params:
            names = [*param.opts, *param.secondary_opts]
            if isinstance(param, click.Option) and not param.is_flag:
                assert not any(SECRET_OPTION.match(n) for n in names), (path, names)
            if isinstance(param, click.Argument):
                assert not re.search(r"key|token|password|secret", param.name or "", re.I), (
                    path, param.name)
            checked += 1
    assert checked > 50


def test_a_path_that_merely_mentions_nvapi_is_fine(inputs: dict[str, str], tmp_path: Path,
                                                   ) -> None:
    config = yamlio.load_one(Path(inputs["config"]).read_text("utf-8"), "config")
    config["spec"]["secrets"]["externalSecrets"]["remoteRef"] = {"key": "nim/nvapi-keys/{project}"}
    path = tmp_path / "named.yaml"
    path.write_text(yamlio.dump(config), "utf-8")
    assert run_cli(["config", "check", str(path)]).code == 0
