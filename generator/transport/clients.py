"""Building the `httpx.AsyncClient`s of a run, the same way for every service."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping, Sequence

import httpx

from generator.transport.bounded import ACCEPT_ENCODING
from generator.transport.guard import direct_routes, environment_errors

USER_AGENT = "nim-gitops"


def client_builder(base: str, timeout: float, connect_timeout: float, *,
                   headers: Mapping[str, str] | None = None,
                   follow_redirects: bool = False) -> Callable[[int], httpx.AsyncClient]:
    """A function making a client for the service at `base` with a given connection limit;
    every client it makes shares one certificate store (see `build_clients`)."""
    with environment_errors():
        verify: ssl.SSLContext | bool = False
        if follow_redirects or not base.startswith("http://"):
            verify = httpx.create_ssl_context(trust_env=True)  # httpx's default, made once
    per_attempt = httpx.Timeout(timeout, connect=min(connect_timeout, timeout))
    fixed_headers = {**(headers or {}), "User-Agent": USER_AGENT,
                     "Accept-Encoding": ACCEPT_ENCODING}
    routes = direct_routes(base)  # each client copies the mapping into its own mounts

    def build(size: int) -> httpx.AsyncClient:
        with environment_errors():
            return httpx.AsyncClient(
                timeout=per_attempt,
                limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
                headers=fixed_headers,
                follow_redirects=follow_redirects,
                trust_env=True,
                mounts=routes,
                verify=verify,
            )

    return build


def build_clients(base: str, timeout: float, connect_timeout: float, sizes: Sequence[int], *,
                  headers: Mapping[str, str] | None = None,
                  follow_redirects: bool = False) -> list[httpx.AsyncClient]:
    """One client per entry of `sizes` (its connection limit) for the service at `base`.

    Each attempt may take `timeout` seconds, connecting at most `connect_timeout` of them;
    proxies and certificates come from the environment, and a bad setting there is a
    `UsageError` (exit 2), not a crash. Requests to this machine never go through a proxy
    (`guard.direct_routes`), and answers may come compressed only as `bounded.fetch` decodes
    them (read every answer with it: it caps their size and follows the redirects).
    Plain-HTTP URLs (a local mirror, a test double) never use TLS, so no certificate store is
    loaded for them (about 0.1 s at start-up), unless the clients follow redirects (one may
    lead to HTTPS, whose certificate must then be checked); HTTPS URLs verify against one
    store shared by the clients.
    """
    build = client_builder(base, timeout, connect_timeout, headers=headers,
                           follow_redirects=follow_redirects)
    return [build(size) for size in sizes]
