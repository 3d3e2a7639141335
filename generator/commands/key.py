"""`nim-gitops key validate`: ask NVIDIA whether an NGC API key is valid."""

from __future__ import annotations

from pathlib import Path

import click

from generator.commands.options import examples
from generator.keys import KeySafeCommand, service_options


@click.group(epilog=examples("NGC_API_KEY=... nim-gitops key validate"))
def key() -> None:
    """Check NGC API keys before they are stored."""


@key.command(cls=KeySafeCommand, epilog=examples(
    "NGC_API_KEY=... nim-gitops key validate",
    "nim-gitops key validate --api-key-file key.txt",
    "pass show ngc/team-a | nim-gitops key validate --api-key-stdin"))
@service_options
def validate(api_key_file: Path | None, api_key_stdin: bool, ngc_url: str, timeout: float,
             retries: int, backoff: float) -> int:
    """Validate a key with NGC: exit 0 valid, 1 invalid, 3 NVIDIA unreachable."""
    from generator.keys import read_key
    from generator.ngc import NgcSettings
    from generator.ngc.validate import check_key

    secret = read_key(api_key_file, api_key_stdin)
    settings = NgcSettings(url=ngc_url, timeout=timeout, retries=retries, backoff=backoff,
                           concurrency=1)
    verdict = check_key(settings, secret)
    click.echo(verdict.line())
    return 0 if verdict.valid else 1
