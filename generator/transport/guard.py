"""Checks around every client that sends the NGC key: its base URL (`--ngc-url`,
`--registry-url`), the environment's proxies and certificates, and a deadline for each whole
request.

Kept apart from the HTTP clients so that they can change without these rules.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from collections.abc import Awaitable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar
from urllib.parse import urlsplit

from generator.errors import UsageError

T = TypeVar("T")
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")
ENVIRONMENT = "HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, SSL_CERT_FILE or SSL_CERT_DIR"


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, option: str = "--ngc-url") -> str:
    """A base URL the key may be sent to, else a UsageError (exit 2) naming `option`.

    No user name or password (they would replace the key's Authorization header and show up
    in messages), a valid host and port, no query or fragment, and `https`, or plain `http`
    only to this machine: the key would otherwise cross the network in clear text.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UsageError(f"{option}: not a valid URL (bad port or address)") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"{option}: the scheme must be https (or http to localhost)")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UsageError(f"{option}: must not carry a user name or password; the key is sent "
                         "in the Authorization header")
    host = parts.hostname or ""
    if not host or (port is not None and port == 0):
        raise UsageError(f"{option}: the URL needs a host (and a port from 1 to 65535)")
    if parts.query or parts.fragment:
        raise UsageError(f"{option}: a base URL has no query or fragment")
    if parts.scheme == "http" and not _is_loopback(host):
        raise UsageError(f"{option}: plain http to {host} would send the API key in clear "
                         "text; use https (http is allowed to localhost only)")
    return url


def direct_routes(base: str) -> dict[str, None]:
    """httpx `mounts` that take requests to this machine past every proxy of the environment.

    A proxy cannot reach this machine's loopback (it would reach its own), and through a
    proxy a plain-http request to localhost, key included, would cross the network in clear
    text. The usual loopback names are covered, and the host of `base` when it is loopback
    (`127.0.0.2` ...); a `None` mount is httpx's way to say "no proxy" for a host.
    """
    hosts = {"localhost", "localhost.localdomain", "127.0.0.1", "::1"}
    host = urlsplit(base).hostname or ""
    if _is_loopback(host):
        hosts.add(host)
    return {f"all://[{h}]" if ":" in h else f"all://{h}": None for h in sorted(hosts)}


PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def check_proxy_environment(environ: Mapping[str, str]) -> None:
    """Refuse a proxy variable httpx cannot use; the message names it, never its value
    (a proxy URL may carry a password)."""
    for name in PROXY_VARIABLES:
        for variable in (name, name.lower()):
            value = environ.get(variable, "").strip()
            if not value:
                continue
            try:
                parts = urlsplit(value if "://" in value else f"http://{value}")
                parts.port  # noqa: B018 (parsing the port is the check)
            except ValueError:
                raise UsageError(f"${variable}: not a valid proxy URL (bad port or address)"
                                 ) from None
            if parts.scheme not in PROXY_SCHEMES:
                raise UsageError(f"${variable}: unsupported proxy scheme {parts.scheme!r} "
                                 f"(use one of {', '.join(PROXY_SCHEMES)})")
            if not parts.hostname:
                raise UsageError(f"${variable}: the proxy URL has no host")


@contextmanager
def environment_errors() -> Iterator[None]:
    """Turn a bad proxy or certificate setting, found when a client is built, into exit 2."""
    check_proxy_environment(os.environ)
    try:
        yield
    except ImportError:  # a proxy scheme whose optional package is missing
        raise UsageError(f"cannot use the proxy set in the environment ({ENVIRONMENT}): "
                         "its support is not installed") from None
    except OSError as exc:
        where = f" {exc.filename}:" if exc.filename else ""
        raise UsageError(f"cannot set up HTTPS from the environment ({ENVIRONMENT}):{where} "
                         f"{exc.strerror or 'cannot read the certificates'}") from None
    except ValueError:
        raise UsageError(f"cannot set up HTTPS from the environment ({ENVIRONMENT}): an "
                         "invalid proxy or certificate setting") from None


async def within(seconds: float, request: Awaitable[T]) -> T:
    """`request`, cancelled after `seconds` in all (httpx's timeouts bound each read only,
    so a server trickling one byte at a time would hold the request forever)."""
    import httpx

    try:
        return await asyncio.wait_for(request, timeout=seconds)
    except asyncio.TimeoutError:
        raise httpx.ReadTimeout(f"no complete answer within {seconds:g}s") from None
