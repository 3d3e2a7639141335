"""The NGC HTTP client: pools of `httpx.AsyncClient`, bounded concurrency, retried requests.

Every request goes through `transport.retry.send` (429, 5xx, malformed bodies and transport
errors retried with backoff and jitter, `Retry-After` honoured up to `MAX_RETRY_AFTER`, each
attempt bounded as a whole); answers are read by `transport.answer.Statuses`: 401/403 abort
with `AuthenticationError`, 451 raises `Restricted`. Each answer is read within `ANSWER_CAP`
(`transport.bounded.fetch`), and the image digests of a repo answer must have a digest's
shape. The key only ever travels in the Authorization header (and, for key validation, the
form body NGC asks for).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from generator.airgap.lock import is_digest
from generator.errors import AuthenticationError, RemoteServiceError
from generator.ngc import NgcSettings
from generator.transport.answer import Statuses
from generator.transport.bounded import Cap, MiB, fetch
from generator.transport.clients import client_builder
from generator.transport.retry import send

CATALOG_PATH = "/v2/search/catalog/resources/CONTAINER"
CALLER_INFO_PATH = "/v3/keys/get-caller-info"
# queries are written into the URL, not passed as `params` (httpx would parse the URL again
# to merge them, for every request)
REPO_QUERY = "resolve-labels=true"


class Restricted(Exception):
    """HTTP 451: the model is not available from this location (EU-restricted)."""


class NotFound(RemoteServiceError):
    """HTTP 404: the resource vanished between discovery and fetch."""


# Connections per httpx pool. httpcore's pool rescans its connections each time a request
# starts or ends (`_assign_requests_to_connections`), and asks every idle one whether the
# server closed it (`has_expired`: anyio builds the socket's attribute table and calls
# getpeername for it), so the CPU per request grows with the pool: pools of 4 took 0.26 s of
# CPU per run against 0.31 s for pools of 8 (figures in docs/performance.md).
POOL_CONNECTIONS = 4

# NGC's largest answer is a catalog page: about 1.3 KB per model, so 1.3 MB at the page size
# of 1000 (the recorded 186-model catalog is a third of that); a repo answer is a few KB.
# 16 MiB leaves more than ten times that, on the wire and decoded.
ANSWER_CAP = Cap(compressed=16 * MiB, decoded=16 * MiB)


class HttpPool:
    """Several `httpx.AsyncClient`s side by side, one per entry of `sizes` (its connection
    limit); each request goes to the least busy one, and at most `limit` requests (all kinds
    together) are in flight at once.

    Only the first client is made at once: the others when a request finds every client
    made so far full, or all together by `complete` (a run calls it once its first request
    has gone out, so that making them costs no time before that request)."""

    def __init__(self, build: Callable[[int], httpx.AsyncClient], sizes: Sequence[int],
                 limit: int) -> None:
        self._build = build
        self._sizes = list(sizes)
        self.clients = [build(self._sizes[0])]
        self._busy = [0]
        # first come, first served: a request waits here, not in httpcore's pool (whose
        # scan of its waiting requests costs quadratic CPU); retries wait outside the gate
        self._gate = asyncio.Semaphore(max(1, limit))

    def complete(self) -> None:
        """Make every client not made yet."""
        while len(self.clients) < len(self._sizes):
            self._add()

    def _add(self) -> int:
        self.clients.append(self._build(self._sizes[len(self.clients)]))
        self._busy.append(0)
        return len(self.clients) - 1

    def _least_busy(self) -> int:
        busy = self._busy
        index = busy.index(min(busy))
        if busy[index] >= self._sizes[index] and len(self.clients) < len(self._sizes):
            index = self._add()
        return index

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The answer to a request built from `method`, `url` and `kwargs` (as
        `AsyncClient.build_request` takes them), read within `ANSWER_CAP` by the client with
        the fewest requests in flight, once fewer than `limit` are."""
        async with self._gate:
            index = self._least_busy()
            self._busy[index] += 1
            try:
                client = self.clients[index]
                return await fetch(client, client.build_request(method, url, **kwargs),
                                   ANSWER_CAP)
            finally:
                self._busy[index] -= 1

    async def __aenter__(self) -> HttpPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self.clients:
            await client.aclose()


def make_http_client(settings: NgcSettings) -> HttpPool:
    """The HTTP clients of a run: explicit timeouts, connections for the concurrency (in
    pools of `POOL_CONNECTIONS`), made by `transport.clients.client_builder`, and at most
    `settings.concurrency` requests in flight."""
    wanted = max(1, settings.concurrency)
    sizes = [min(POOL_CONNECTIONS, wanted - start)
             for start in range(0, wanted, POOL_CONNECTIONS)]
    build = client_builder(settings.base, settings.timeout, settings.connect_timeout,
                           headers={"Accept": "application/json"})
    return HttpPool(build, sizes, wanted)


def _refused(what: str, code: int) -> str:
    return f"NGC rejected the API key (HTTP {code} from {what})"


def _restricted(what: str, code: int) -> Exception:
    return Restricted(what)


def _not_found(what: str, code: int) -> Exception:
    return NotFound(f"{what}: not found (HTTP {code})")


def _key_not_found(what: str, code: int) -> Exception:
    return NotFound(f"{what}: not found (HTTP {code}); check --ngc-url")


def _key_refused(what: str, code: int) -> Exception:
    return AuthenticationError(_refused(what, code))


# NGC's answers: 451 is a model restricted where the run is; the key check also reads a 400
# as a refused key, and its 404 most likely a wrong --ngc-url
ANSWERS = Statuses("NGC", _refused, _not_found, {451: _restricted})
KEY_CHECK = Statuses("NGC", _refused, _key_not_found, {451: _restricted, 400: _key_refused})


def _when_sent(callback: Callable[[], None]) -> Callable[[str, Any], Awaitable[None]]:
    """An httpx `trace` extension that calls `callback` once the request's body is sent."""
    async def trace(event: str, info: Any) -> None:
        if event == "http11.send_request_body.complete":
            callback()

    return trace


def _traced(on_sent: Callable[[], None] | None) -> dict[str, Any] | None:
    """The request extensions that call `on_sent` once the request is out (None: none)."""
    return {"trace": _when_sent(on_sent)} if on_sent else None


def check_digests(resource_id: str, data: dict[str, Any]) -> None:
    """Refuse a repo answer with an image digest that is not `sha256:<64 hex>` (digests go
    into lock files and reports): a `RemoteServiceError` naming the model and the field. An
    absent digest is fine (unknown)."""
    variants = data.get("latestArchitectureVariants")
    for index, item in enumerate(variants if isinstance(variants, list) else ()):
        digest = item.get("digest") if isinstance(item, dict) else None
        if digest is not None and not is_digest(digest):
            raise RemoteServiceError(
                f"{resource_id}: NGC sent a malformed digest in "
                f"latestArchitectureVariants[{index}].digest (not sha256:<64 hex digits>)")


class NgcClient:
    """Calls to the three NGC endpoints the metadata needs."""

    def __init__(self, http: httpx.AsyncClient | HttpPool, key: str | None,
                 settings: NgcSettings) -> None:
        self.http = http
        self.settings = settings
        self._auth = {"Authorization": f"Bearer {key}"} if key else {}
        self._key = key

    async def _request(self, what: str, method: str, path: str, *,
                       answers: Statuses = ANSWERS, **kwargs: Any) -> Any:
        url = self.settings.base + path
        return await send(self.settings, what, self.settings.base,
                          lambda: self.http.request(method, url, **kwargs),
                          lambda response: answers.json(response, what))

    async def caller_info(self, on_sent: Callable[[], None] | None = None) -> dict[str, Any]:
        """Validate the key: `POST /v3/keys/get-caller-info`; the JSON answer on success.
        `on_sent` is called once the request has gone out (every attempt's; not at all if
        none got that far)."""
        if not self._key:
            raise AuthenticationError("no API key to validate")
        data = await self._request(
            "key validation", "POST", CALLER_INFO_PATH, answers=KEY_CHECK,
            headers={**self._auth, "Content-Type": "application/x-www-form-urlencoded"},
            content=f"credentials={self._key}".encode(), extensions=_traced(on_sent))
        if not isinstance(data, dict):
            raise RemoteServiceError("key validation: the answer is not a JSON object")
        return data

    async def catalog_page(self, page: int,
                           on_sent: Callable[[], None] | None = None) -> dict[str, Any]:
        """One page of the public container catalog of the organisation; `on_sent` as for
        `caller_info`."""
        query = {"query": f"orgName:{self.settings.org}", "page": page,
                 "pageSize": self.settings.page_size}
        q = urlencode({"q": json.dumps(query, separators=(",", ":"))}, quote_via=quote)
        data = await self._request(f"catalog page {page}", "GET", f"{CATALOG_PATH}?{q}",
                                   extensions=_traced(on_sent))
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
        data = await self._request(resource_id, "GET", f"{path}?{REPO_QUERY}",
                                   headers=self._auth)
        if not isinstance(data, dict):
            raise RemoteServiceError(f"{resource_id}: the answer is not a JSON object")
        check_digests(resource_id, data)
        return data
