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
from typing import Any

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
        "secrets": {"provider": "external-secrets", "scope": "deployment",
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


# --- issue #15: keys where no key belongs, servers that echo the key, the NGC URL -----------

# Not a real key either: an nvapi-shaped string never registered with the redactor, so only
# the shape-based masking can hide it.
VALID_CONFIG = Path(__file__).parent / "inputs" / "config" / "valid.yaml"
STRAY_KEY = "nvapi-STRAY-FAKE-0000111122223333444455556666777788889999aaaa"


def _no_key(*texts: str) -> None:
    for text in texts:
        for key in (FAKE_KEY, STRAY_KEY):
            assert key not in text and key.removeprefix("nvapi-") not in text, text


def _files_clean(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file() and path.name != "key.txt":
            _no_key(path.read_text("utf-8", "replace"))


@pytest.mark.parametrize("argv", [
    ["key", STRAY_KEY], ["metadata", STRAY_KEY], [STRAY_KEY], ["--debug", STRAY_KEY],
    ["key", "validate", "--api-key-file", STRAY_KEY], ["render", STRAY_KEY, "-o", "-"],
    ["config", "check", STRAY_KEY], ["values", STRAY_KEY], ["krm", STRAY_KEY],
    ["metadata", "diff", STRAY_KEY, STRAY_KEY],
    ["render", "--catalog", STRAY_KEY, str(VALID_CONFIG), "-o", "-"],
], ids=lambda a: " ".join(a).replace(STRAY_KEY, "KEY"))
def test_a_key_given_where_no_key_belongs_is_masked(argv: list[str]) -> None:
    """Usage errors, unknown commands and unreadable files name the argument: masked."""
    result = run_cli(argv, env={})
    assert result.code in (1, 2), result
    assert "***" in result.err, result.err
    assert "Traceback" not in result.err
    _no_key(result.out, result.err)


@pytest.mark.parametrize("command", [["metadata", "validate"], ["config", "check"],
                                     ["render", "-o", "-"], ["validate"]])
def test_a_key_file_given_as_input_is_not_echoed(command: list[str], tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(STRAY_KEY + "\n")
    argv = [*command[:2], str(key_file), *command[2:]] if command[0] != "render" else \
        ["render", str(key_file), "-o", "-"]
    result = run_cli(argv, env={})
    assert result.code == 1, result
    _no_key(result.out, result.err)


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_validate_masks_a_key_used_as_a_name_or_a_mapping_key(fmt: str, tmp_path: Path) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(yamlio.dump({"apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": {"name": STRAY_KEY, "namespace": "a"},
                                     "data": {STRAY_KEY: "x"}}), "utf-8")
    result = run_cli(["validate", "--ignore-missing-schemas", "-o", fmt, str(manifest)])
    assert result.code == 1, result  # NIM001 still fires
    assert result.out.strip()
    _no_key(result.out, result.err)


def _helm(args: list[str], env: dict[str, str]) -> Any:
    import subprocess

    from tests.helpers import tool
    return subprocess.run([tool("helm"), *args], env=env, capture_output=True, text=True,
                          check=False, timeout=120)


def test_a_key_passed_through_the_helm_plugin_is_masked(tmp_path: Path) -> None:
    import sys

    from tests.helpers import REPO, isolated_env
    venv_bin = Path(sys.executable).parent
    env = isolated_env(PATH=f"{venv_bin}:/usr/bin:/bin", HELM_DATA_HOME=str(tmp_path / "d"),
                       HELM_CONFIG_HOME=str(tmp_path / "c"), HELM_CACHE_HOME=str(tmp_path / "h"))
    env.pop("HELM_PLUGINS", None)
    assert _helm(["plugin", "install", str(REPO / "plugins/helm/nim-gitops")],
                 env).returncode == 0
    for argv in (["nim-gitops", "key", STRAY_KEY], ["nim-gitops", STRAY_KEY]):
        proc = _helm(argv, env)
        assert proc.returncode != 0
        assert "***" in proc.stderr, proc.stderr
        _no_key(proc.stdout, proc.stderr)


def test_a_server_that_echoes_the_key_gets_it_masked_and_never_written(tmp_path: Path) -> None:
    """A mirror or debugging proxy (`--ngc-url`) that reflects the key in a 200 answer: `key
    validate` masks it on stdout, `metadata generate` refuses to write it (exit 3)."""
    entry = {"name": "alpha", "displayName": "Alpha", "shortDescription": f"echo {FAKE_KEY}",
             "namespace": "nim/meta", "tags": ["1.0.0"], "latestTag": "1.0.0",
             "updatedDate": "2025-01-01T00:00:00Z"}
    out = tmp_path / "out"
    with NgcServer([entry]) as ngc:
        ngc.caller_info = {"type": "PERSONAL_KEY", "orgName": f"org {STRAY_KEY} {FAKE_KEY}"}
        check = run_cli(["key", "validate", "--ngc-url", ngc.base_url, "--retries", "0"],
                        env={"NGC_API_KEY": FAKE_KEY})
        assert check.code == 0 and check.out.startswith("valid: PERSONAL_KEY"), check
        generate = run_cli(["metadata", "generate", "-o", str(out / "cm.yaml"), "--report",
                            str(out / "report.md"), "--ngc-url", ngc.base_url, "--retries", "0",
                            "-q"], env={"NGC_API_KEY": FAKE_KEY})
    _no_key(check.out, check.err, generate.out, generate.err)
    assert generate.code == 3, generate
    errors = [line for line in generate.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "refusing to write it" in errors[0], generate.err
    assert not out.exists()


def test_userinfo_in_the_ngc_url_is_refused_before_any_request(tmp_path: Path) -> None:
    with NgcServer() as ngc:
        url = ngc.base_url.replace("http://", "http://user:s3cret-pw@")
        result = run_cli(["key", "validate", "--ngc-url", url], env={"NGC_API_KEY": FAKE_KEY})
        assert ngc.requests == []
    assert result.code == 2, result
    assert "s3cret-pw" not in result.err and "--ngc-url" in result.err
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(("url", "message"), [
    ("http://ngc-mirror.example.com", "clear text"),
    ("https://api.ngc.nvidia.com:99999", "port"),
    ("ftp://api.ngc.nvidia.com", "scheme"),
    ("https://", "host"),
])
def test_unsafe_or_invalid_ngc_urls_are_usage_errors(url: str, message: str) -> None:
    for argv in (["key", "validate"], ["metadata", "detect-eu", "-o", "-"]):
        result = run_cli([*argv, "--ngc-url", url], env={"NGC_API_KEY": FAKE_KEY})
        assert result.code == 2, result
        assert message in result.err and len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(("answer", "status"), [({}, 200), ({"orgName": "x"}, 200),
                                                (None, 404)])
def test_key_validate_does_not_call_a_wrong_endpoint_valid_or_invalid(
        answer: Any, status: int) -> None:
    """A 200 that is not caller info, or a 404 from a wrong path, is a service error (3)."""
    from tests.ngc_server import Answer
    with NgcServer() as ngc:
        ngc.route("POST", r"/v3/keys/get-caller-info",
                  lambda server, match, seen: Answer.json(answer, status))
        result = run_cli(["key", "validate", "--ngc-url", ngc.base_url, "--retries", "0"],
                         env={"NGC_API_KEY": FAKE_KEY})
    assert result.code == 3, result
    assert result.out == "" and "--ngc-url" in result.err


def test_a_trickling_server_cannot_hold_key_validate_past_its_timeout() -> None:
    """httpx bounds each read; one byte every 0.3 s would never trip it. The whole request
    is bounded: `--timeout 2 --retries 0` ends in about two seconds."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n")
        while not stop.is_set():
            try:
                conn.sendall(b" ")
            except OSError:
                break
            time.sleep(0.3)
        conn.close()

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    start = time.monotonic()
    result = run_cli(["key", "validate", "--ngc-url", f"http://127.0.0.1:{server.getsockname()[1]}",
                      "--timeout", "2", "--retries", "0"], env={"NGC_API_KEY": FAKE_KEY})
    elapsed = time.monotonic() - start
    stop.set()
    server.close()
    assert result.code == 3, result
    assert "timed out after 2s" in result.err
    assert elapsed < 6, elapsed


def _socks5_proxy(seen: list[str]) -> tuple[Any, int]:
    """A minimal SOCKS5 proxy (no auth, CONNECT only) that records where clients go."""
    import socket
    import struct
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            b.close()

    def handle(client: socket.socket) -> None:
        client.recv(262)  # greeting
        client.sendall(b"\x05\x00")
        head = client.recv(4)
        if head[3] == 1:
            host = socket.inet_ntoa(client.recv(4))
        else:
            host = client.recv(client.recv(1)[0]).decode()
        port = struct.unpack("!H", client.recv(2))[0]
        seen.append(f"{host}:{port}")
        upstream = socket.create_connection((host, port))
        client.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + b"\x00\x00")
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(client,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return listener, listener.getsockname()[1]


def test_all_proxy_socks5_is_supported(monkeypatch: pytest.MonkeyPatch) -> None:
    """Corporate CI often has only a SOCKS proxy: ALL_PROXY=socks5://... carries the calls to
    NVIDIA. A call to this machine goes direct (issue #27 item 13: through a proxy a plain-http
    request to localhost would carry the key across the network), so the proxy sees nothing
    here; that a remote host would use it is checked on the client's routes."""
    import asyncio

    import httpx

    from generator.transport.clients import build_clients

    seen: list[str] = []
    listener, port = _socks5_proxy(seen)
    try:
        with NgcServer() as ngc:
            result = run_cli(["key", "validate", "--ngc-url", ngc.base_url.replace(
                "127.0.0.1", "localhost"), "--retries", "0", "--timeout", "5"],
                env={"NGC_API_KEY": FAKE_KEY, "ALL_PROXY": f"socks5://127.0.0.1:{port}",
                     "NO_PROXY": "", "no_proxy": ""})
    finally:
        listener.close()
    assert result.code == 0, result
    assert seen == [], "a call to this machine went through the proxy"
    monkeypatch.setenv("ALL_PROXY", f"socks5://127.0.0.1:{port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    (client,) = build_clients("https://api.ngc.nvidia.com", 5, 5, [1])
    try:
        remote = client._transport_for_url(httpx.URL("https://api.ngc.nvidia.com/v2/x"))
        local = client._transport_for_url(httpx.URL("http://localhost:1/v2/x"))
        assert type(remote).__name__ == "AsyncHTTPTransport"
        assert "socks" in type(remote._pool).__name__.lower()
        assert "socks" not in type(local._pool).__name__.lower()
    finally:
        asyncio.run(client.aclose())


@pytest.mark.parametrize(("env", "names"), [
    ({"HTTPS_PROXY": "foo://user:proxy-pw@127.0.0.1:3128"}, "$HTTPS_PROXY"),
    ({"https_proxy": "http://user:proxy-pw@127.0.0.1:99999"}, "$https_proxy"),
    ({"SSL_CERT_FILE": "/nonexistent/ca.pem"}, "SSL_CERT_FILE"),
])
def test_a_bad_proxy_or_certificate_setting_is_a_usage_error(env: dict[str, str],
                                                             names: str) -> None:
    result = run_cli(["key", "validate", "--retries", "0", "--timeout", "2"],
                     env={"NGC_API_KEY": FAKE_KEY, **env})
    assert result.code == 2, result
    assert names in result.err and "proxy-pw" not in result.err
    assert len(result.err.strip().splitlines()) == 1
