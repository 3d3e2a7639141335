"""The NGC HTTP client: pools of `httpx.AsyncClient`, bounded concurrency, retried requests.

Every request goes through `transport.retry.send` (429, 5xx, malformed bodies and transport
errors retried with backoff and jitter, `Retry-After` honoured up to `MAX_RETRY_AFTER`, each
attempt bounded as a whole). 401/403 abort with `AuthenticationError`; 451 raises
`Restricted`. The key only ever travels in the Authorization header (and, for key
validation, the form body NGC asks for).
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Sequence
from typing import Any

import httpx

from generator.errors import AuthenticationError, RemoteServiceError
from generator.ngc import NgcSettings
from generator.transport.bounded import map_bounded as map_bounded
from generator.transport.guard import environment_errors
from generator.transport.retry import Retryable, retryable, send
from generator.transport.retry import parse_retry_after as parse_retry_after

CATALOG_PATH = "/v2/search/catalog/resources/CONTAINER"
CALLER_INFO_PATH = "/v3/keys/get-caller-info"


class Restricted(Exception):
    """HTTP 451: the model is not available from this location (EU-restricted)."""


class NotFound(RemoteServiceError):
    """HTTP 404: the resource vanished between discovery and fetch."""


# Connections per httpx pool. httpcore's pool rescans every connection for every waiting
# request (`_assign_requests_to_connections`), so one pool of 32 costs quadratic CPU; pools
# of 8 keep each scan short (figures in docs/metadata.md).
POOL_CONNECTIONS = 8


class HttpPool:
    """Several `httpx.AsyncClient`s side by side; each request goes to the least busy one."""

    def __init__(self, clients: Sequence[httpx.AsyncClient]) -> None:
        self.clients = list(clients)
        self._busy = [0] * len(self.clients)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """`AsyncClient.request` on the client with the fewest requests in flight."""
        busy = self._busy
        index = busy.index(min(busy))
        busy[index] += 1
        try:
            return await self.clients[index].request(method, url, **kwargs)
        finally:
            busy[index] -= 1

    async def __aenter__(self) -> HttpPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self.clients:
            await client.aclose()


def make_http_client(settings: NgcSettings) -> HttpPool:
    """The HTTP clients of a run: explicit timeouts, connections for the concurrency.

    Plain-HTTP URLs (a local mirror, the test double) never use TLS, so no certificate store
    is loaded for them (about 0.1 s at start-up); HTTPS URLs verify against one shared one.
    """
    with environment_errors():  # a bad proxy or certificate setting is exit 2, not a crash
        return HttpPool(_clients(settings))


def _clients(settings: NgcSettings) -> list[httpx.AsyncClient]:
    wanted = max(1, settings.concurrency)
    verify: ssl.SSLContext | bool = False
    if not settings.base.startswith("http://"):
        verify = httpx.create_ssl_context(trust_env=True)  # httpx's default, made once
    clients = []
    for start in range(0, wanted, POOL_CONNECTIONS):
        size = min(POOL_CONNECTIONS, wanted - start)
        clients.append(httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout, connect=min(settings.connect_timeout,
                                                                settings.timeout)),
            limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
            headers={"Accept": "application/json", "User-Agent": "nim-gitops"},
            follow_redirects=False,
            trust_env=True,
            verify=verify,
        ))
    return clients


class NgcClient:
    """Calls to the three NGC endpoints the metadata needs."""

    def __init__(self, http: httpx.AsyncClient | HttpPool, key: str | None,
                 settings: NgcSettings) -> None:
        self.http = http
        self.settings = settings
        self._auth = {"Authorization": f"Bearer {key}"} if key else {}
        self._key = key

    def _check(self, response: httpx.Response, what: str, key_check: bool) -> Any:
        code = response.status_code
        if code == 200:
            try:
                return response.json()
            except ValueError:  # not JSON, not UTF-8, or an integer of over 4,300 digits
                raise Retryable(f"{what}: the response is not valid JSON") from None
        if code in (401, 403) or (key_check and code == 400):
            raise AuthenticationError(f"NGC rejected the API key (HTTP {code} from {what})")
        if code == 451:
            raise Restricted(what)
        if code == 429 or code >= 500:
            raise retryable(response, what, "NGC")
        if code == 404:
            hint = "; check --ngc-url" if key_check else ""
            raise NotFound(f"{what}: not found (HTTP 404){hint}")
        raise RemoteServiceError(f"{what}: unexpected HTTP {code}")

    async def _request(self, what: str, method: str, path: str, *, key_check: bool = False,
                       **kwargs: Any) -> Any:
        url = self.settings.base + path
        return await send(self.settings, what, self.settings.base,
                          lambda: self.http.request(method, url, **kwargs),
                          lambda response: self._check(response, what, key_check))

    async def caller_info(self) -> dict[str, Any]:
        """Validate the key: `POST /v3/keys/get-caller-info`; the JSON answer on success."""
        if not self._key:
            raise AuthenticationError("no API key to validate")
        data = await self._request(
            "key validation", "POST", CALLER_INFO_PATH, key_check=True,
            headers={**self._auth, "Content-Type": "application/x-www-form-urlencoded"},
            content=f"credentials={self._key}".encode(),
        )
        if not isinstance(data, dict):
            raise RemoteServiceError("key validation: the answer is not a JSON object")
        return data

    async def catalog_page(self, page: int) -> dict[str, Any]:
        """One page of the public container catalog of the organisation."""
        query = {"query": f"orgName:{self.settings.org}", "page": page,
                 "pageSize": self.settings.page_size}
        data = await self._request(f"catalog page {page}", "GET", CATALOG_PATH,
                                   params={"q": json.dumps(query, separators=(",", ":"))})
        if not isinstance(data, dict):
            raise RemoteServiceError(f"catalog page {page}: the answer is not a JSON object")
        return data

    async def repo(self, resource_id: str) -> dict[str, Any]:
        """A model's repository details; raises `Restricted` on 451."""
        parts = resource_id.split("/")
        if len(parts) == 3:
            path = f"/v2/org/{parts[0]}/team/{parts[1]}/repos/{parts[2]}"
        elif len(parts) == 2:
            path = f"/v2/org/{parts[0]}/repos/{parts[1]}"
        else:
            raise RemoteServiceError(f"{resource_id}: not an org/team/name resource id")
        data = await self._request(resource_id, "GET", path, headers=self._auth,
                                   params={"resolve-labels": "true"})
        if not isinstance(data, dict):
            raise RemoteServiceError(f"{resource_id}: the answer is not a JSON object")
        return data
