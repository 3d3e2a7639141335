"""The NGC HTTP client: one `httpx.AsyncClient`, bounded concurrency, retries with backoff.

Retries (tenacity, exponential backoff with jitter, bounded attempts) cover 429, 5xx,
malformed bodies and transport errors; `Retry-After` is honoured up to
`MAX_RETRY_AFTER` (a longer wait fails at once). 401/403 abort with
`AuthenticationError`; 451 raises `Restricted`. The key only ever travels in the
Authorization header (and, for key validation, the form body NGC asks for).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from generator.errors import AuthenticationError, RemoteServiceError
from generator.ngc import NgcSettings
from generator.ngc.guard import environment_errors, within

T = TypeVar("T")
R = TypeVar("R")
CATALOG_PATH = "/v2/search/catalog/resources/CONTAINER"
CALLER_INFO_PATH = "/v3/keys/get-caller-info"
MAX_RETRY_AFTER = 120.0


class Retryable(Exception):
    """A 429, a 5xx or a malformed body: worth another attempt."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Restricted(Exception):
    """HTTP 451: the model is not available from this location (EU-restricted)."""


class NotFound(RemoteServiceError):
    """HTTP 404: the resource vanished between discovery and fetch."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


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


def _describe(exc: BaseException, settings: NgcSettings) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {settings.timeout:g}s"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    if isinstance(exc, httpx.TransportError):
        return f"connection failed ({type(exc).__name__})"
    return str(exc)


class NgcClient:
    """Calls to the three NGC endpoints the metadata needs."""

    def __init__(self, http: httpx.AsyncClient | HttpPool, key: str | None,
                 settings: NgcSettings) -> None:
        self.http = http
        self.settings = settings
        self._auth = {"Authorization": f"Bearer {key}"} if key else {}
        self._key = key

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        cap = max(self.settings.max_backoff, 0.0)
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        base = self.settings.backoff
        expo: float = min(cap, base * 2.0 ** (state.attempt_number - 1))
        return expo + random.uniform(0, base)  # jitter spreads retries of parallel requests

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
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > MAX_RETRY_AFTER:
                raise RemoteServiceError(
                    f"{what}: HTTP {code} and NGC asks to retry after {wait:.0f}s, longer than "
                    f"a run waits ({MAX_RETRY_AFTER:g}s); try again later")
            raise Retryable(f"{what}: HTTP {code}", wait)
        if code == 404:
            hint = "; check --ngc-url" if key_check else ""
            raise NotFound(f"{what}: not found (HTTP 404){hint}")
        raise RemoteServiceError(f"{what}: unexpected HTTP {code}")

    async def _request(self, what: str, method: str, path: str, *, key_check: bool = False,
                       **kwargs: Any) -> Any:
        url = self.settings.base + path
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type((Retryable, httpx.TransportError)),
            reraise=True,
        )
        tries = self.settings.retries + 1
        attempts = f"{tries} attempt{'s' if tries != 1 else ''}"
        try:
            async for attempt in retrying:
                with attempt:
                    response = await within(self.settings.timeout,
                                            self.http.request(method, url, **kwargs))
                    return self._check(response, what, key_check)
        except Retryable as exc:
            raise RemoteServiceError(f"{exc} (gave up after {attempts})") from None
        except httpx.TransportError as exc:
            reason = _describe(exc, self.settings)
            raise RemoteServiceError(
                f"{what}: {reason} ({self.settings.base}; gave up after {attempts})"
            ) from None
        except httpx.InvalidURL:
            raise RemoteServiceError(f"{what}: no valid request URL can be formed for it "
                                     f"under {self.settings.base}") from None
        raise AssertionError("unreachable")  # pragma: no cover

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


async def map_bounded(items: Sequence[T], worker: Callable[[T], Awaitable[R]],
                      concurrency: int) -> list[R]:
    """`worker` over `items` with at most `concurrency` running; results in input order.

    Concurrency 1 runs one at a time without tasks. An exception from a worker cancels the
    others and propagates.
    """
    if concurrency <= 1:
        return [await worker(item) for item in items]
    gate = asyncio.Semaphore(concurrency)

    async def bounded(item: T) -> R:
        async with gate:
            return await worker(item)

    tasks = [asyncio.ensure_future(bounded(item)) for item in items]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
