"""The key: read from env, file or stdin only, refused unless `nvapi-`, never shown."""

from __future__ import annotations

import traceback
from pathlib import Path

import click
import pytest

from generator import redact
from generator.cli import cli
from generator.errors import NimGitopsError
from tests.helpers import FAKE_KEY, run_cli
from tests.metadata.conftest import FAST
from tests.ngc_server import Fault, NgcServer


def _channel(channel: str, tmp_path: Path, key: str = FAKE_KEY,
             ) -> tuple[list[str], dict[str, str], str | None]:
    """(extra args, env, stdin) that hand `key` to the command through `channel`."""
    if channel == "env":
        return [], {"NGC_API_KEY": key}, None
    if channel == "file":
        path = tmp_path / "key.txt"
        path.write_text(key + "\n")
        return ["--api-key-file", str(path)], {}, None
    return ["--api-key-stdin"], {}, key + "\n"


def _no_key_anywhere(tmp_path: Path, *texts: str) -> None:
    for text in texts:
        assert FAKE_KEY not in text
        assert FAKE_KEY[len("nvapi-"):] not in text
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "key.txt":
            assert FAKE_KEY not in path.read_text("utf-8", "replace"), path


CHANNELS = ["env", "file", "stdin"]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("scenario", ["ok", "server-error", "bad-key", "reset"])
def test_the_key_never_leaks(channel: str, scenario: str, tmp_path: Path) -> None:
    with NgcServer([{"name": "alpha", "displayName": "A", "shortDescription": "",
                     "namespace": "nim/meta", "tags": ["1"], "latestTag": "1",
                     "updatedDate": "2025-01-01T00:00:00Z"}]) as server:
        if scenario == "server-error":
            server.fault("/repos/", status=500)
        if scenario == "bad-key":
            server.keys = {"nvapi-some-other-key"}
        if scenario == "reset":
            server.fault("/repos/", Fault(kind="reset"))
        args, env, stdin = _channel(channel, tmp_path)
        out = tmp_path / "out.yaml"
        report = str(tmp_path / "r.md")
        for argv in (["metadata", "generate", "-o", str(out), "--report", report],
                     ["metadata", "detect-eu", "-o", str(tmp_path / "eu.json")],
                     ["key", "validate"]):
            result = run_cli(["--debug", *argv, "--ngc-url", server.base_url, *FAST,
                              "--retries", "1", *args], env=env, input=stdin)
            if argv[0] == "key":  # only the key check matters to `key validate`
                assert result.code == (1 if scenario == "bad-key" else 0), result
            else:
                assert result.code == (0 if scenario == "ok" else 3), result
            _no_key_anywhere(tmp_path, result.out, result.err)
        # positive control: the key did reach NGC, in the Authorization header only
        assert any(r.headers.get("Authorization") == f"Bearer {FAKE_KEY}"
                   for r in server.requests)
        assert not any(FAKE_KEY in r.path for r in server.requests)


def test_the_key_is_not_in_exception_text_or_traceback(tmp_path: Path) -> None:
    from generator.metadata.fetch import run_probe
    from generator.metadata.progress import Progress
    from generator.ngc import NgcSettings

    with NgcServer() as server:
        server.fault("get-caller-info", kind="reset")
        settings = NgcSettings(url=server.base_url, retries=0, timeout=1)
        with pytest.raises(NimGitopsError) as info:
            run_probe(settings, FAKE_KEY, progress=lambda n: Progress(n, quiet=True))
    text = "".join(traceback.format_exception(info.value))
    assert FAKE_KEY not in text and FAKE_KEY not in repr(info.value.__dict__)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("bad", ["legacy-0123456789abcdef", "NVAPI-upper", "  "])
def test_non_personal_keys_are_refused_without_being_shown(channel: str, bad: str,
                                                          tmp_path: Path) -> None:
    args, env, stdin = _channel(channel, tmp_path, bad)
    result = run_cli(["key", "validate", "--ngc-url", "http://127.0.0.1:9", *args],
                     env=env, input=stdin)
    assert result.code in (1, 2)
    if bad.strip():
        assert "must start with 'nvapi-'" in result.err
        assert bad not in result.err
    else:
        assert "empty" in result.err or "no NGC API key" in result.err


def test_key_sources_are_exclusive_and_required(tmp_path: Path) -> None:
    path = tmp_path / "k"
    path.write_text(FAKE_KEY)
    both = run_cli(["key", "validate", "--api-key-file", str(path), "--api-key-stdin"],
                   input=FAKE_KEY)
    assert both.code == 2 and "either" in both.err
    none = run_cli(["metadata", "detect-eu", "-o", "-"], env={})
    assert none.code == 2 and "NGC_API_KEY" in none.err
    missing = run_cli(["key", "validate", "--api-key-file", str(tmp_path / "nope")])
    assert missing.code == 1 and "nope" in missing.err


def test_no_option_takes_the_key_itself() -> None:
    ctx = click.Context(cli)
    for group in ("metadata", "key"):
        command = cli.get_command(ctx, group)
        assert isinstance(command, click.Group)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            for param in sub.params:
                opts = [*param.opts, *param.secondary_opts]
                assert not any(o in ("--api-key", "--key") for o in opts), (name, opts)
                assert not (isinstance(param, click.Argument) and "key" in (param.name or ""))
    argv = run_cli(["key", "validate", FAKE_KEY])
    assert argv.code == 2 and FAKE_KEY not in argv.err + argv.out


def test_file_key_is_stripped_and_registered(tmp_path: Path) -> None:
    from generator.keys import read_key

    path = tmp_path / "key"
    path.write_text(f"{FAKE_KEY}\r\n")
    assert read_key(path) == FAKE_KEY
    assert redact.scrub(f"x {FAKE_KEY} y") == f"x {redact.MASK} y"
