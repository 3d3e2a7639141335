"""The NGC API key: read from the environment, a file or stdin (never argv), checked, redacted.

Also the click options every command that talks to NVIDIA shares, declared once here so that
no command can grow an option that takes the key itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from generator import redact
from generator.errors import InvalidInputError, UsageError
from generator.reading import read_bounded

ENV = "NGC_API_KEY"
PREFIX = "nvapi-"
DEFAULT_NGC_URL = "https://api.ngc.nvidia.com"
MAX_KEY_BYTES = 4096

F = TypeVar("F", bound=Callable[..., Any])


def _read_file(path: Path) -> str:
    try:
        raw = read_bounded(path, MAX_KEY_BYTES, what="API key file", allow_pipe=True)
    except InvalidInputError as exc:
        raise InvalidInputError(f"cannot read the API key file: {exc.message}",
                                source=str(path)) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("the API key file is not UTF-8 text", source=str(path)) from None


def read_key(key_file: Path | None = None, from_stdin: bool = False) -> str:
    """The key from `--api-key-file`, `--api-key-stdin` or `$NGC_API_KEY`.

    The key is registered for redaction before any check can mention it. Only personal keys
    (`nvapi-...`) are accepted.
    """
    if key_file is not None and from_stdin:
        raise UsageError("use either --api-key-file or --api-key-stdin, not both")
    if key_file is not None:
        source = str(key_file)
        key = _read_file(key_file)
    elif from_stdin:
        source = "<stdin>"
        key = sys.stdin.read(MAX_KEY_BYTES + 1)
    else:
        source = f"${ENV}"
        key = os.environ.get(ENV, "")
        if not key.strip():
            raise UsageError(f"no NGC API key: set {ENV}, or use --api-key-file PATH or "
                             "--api-key-stdin")
    key = key.strip()
    redact.register(key)
    for line in key.splitlines():
        redact.register(line.strip())
    if not key:
        raise InvalidInputError("the API key is empty", source=source)
    if len(key) > MAX_KEY_BYTES or any(c.isspace() for c in key):
        raise InvalidInputError("does not hold a single API key", source=source)
    if not key.startswith(PREFIX):
        raise InvalidInputError(f"not a personal NGC API key (it must start with {PREFIX!r}); "
                                "legacy keys are not supported", source=source)
    return key


def key_options(func: F) -> F:
    """Add `--api-key-file` and `--api-key-stdin` (the key itself is never an argument)."""
    func = click.option(
        "--api-key-stdin", "api_key_stdin", is_flag=True,
        help=f"Read the NGC API key from stdin instead of ${ENV}.")(func)
    func = click.option(
        "--api-key-file", "api_key_file", type=click.Path(dir_okay=False, path_type=Path),
        metavar="PATH", help=f"Read the NGC API key from PATH instead of ${ENV}.")(func)
    return func


def check_url_option(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Click callback: a base URL the key may be sent to (`transport.guard.check_url`), the
    message naming the option."""
    from generator.transport.guard import check_url

    return check_url(value, param.opts[0] if param.opts else "URL")


def retry_options(func: F) -> F:
    """Add `--timeout`, `--retries` (and a hidden `--backoff`) for a service's requests."""
    func = click.option("--backoff", type=click.FloatRange(min=0), default=0.5, hidden=True,
                        help="First retry delay in seconds (tests use tiny values).")(func)
    func = click.option("--retries", type=click.IntRange(min=0, max=20), default=4,
                        show_default=True,
                        help="Retries per request on 429, 5xx and connection errors.")(func)
    return click.option("--timeout", type=click.FloatRange(min=0.01), default=30.0,
                        show_default=True,
                        help="Seconds each request may take in all (connect, send, answer)."
                        )(func)


def service_options(func: F) -> F:
    """Add the key options plus `--ngc-url`, `--timeout`, `--retries` (and a hidden backoff)."""
    func = retry_options(func)
    func = click.option("--ngc-url", default=DEFAULT_NGC_URL, show_default=True,
                        metavar="URL", callback=check_url_option,
                        help="NGC API base URL (mirrors, proxies, tests): https, or http "
                             "to localhost.")(func)
    return key_options(func)


def _looks_like_key(arg: str) -> bool:
    """An argument that is probably a key: an `nvapi-` token or a long unbroken word."""
    if PREFIX in arg.lower():
        return True
    return not arg.startswith("-") and len(arg) >= 32 and " " not in arg


class KeySafeCommand(click.Command):
    """A command that never echoes an argument that looks like a key in a usage error.

    Someone used to the reference script may pass the key as an argument; click's "unexpected
    extra argument" message would print it back.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        secrets = [a for a in args if _looks_like_key(a)]
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            message = exc.format_message()
            leaked = [s for s in secrets if s in message]
            if not leaked:
                raise
            for secret in leaked:
                redact.register(secret)
                message = message.replace(secret, redact.MASK)
            raise click.UsageError(
                f"{message}; the API key is never an argument: use ${ENV}, --api-key-file "
                "or --api-key-stdin", ctx) from None
