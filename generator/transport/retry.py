"""One retrying HTTP request for every client that sends the NGC key (NGC's API, the registry).

tenacity retries a `Retryable` answer (a 429, a 5xx, a malformed body) or an httpx transport
error for `retries + 1` attempts, with exponential backoff and jitter; a `Retry-After` is
honoured up to `MAX_RETRY_AFTER` (a longer wait fails at once, see `retryable`). Each attempt
is bounded as a whole by `guard.within`. What is left after the last attempt becomes one
`RemoteServiceError` line that says what failed in words (`failure`, the one classifier of
what can end a request: transport errors, a body that does not decode, a redirect loop, a
header value that is not ASCII, a proxy that does not speak SOCKS).
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from generator.errors import RemoteServiceError
from generator.transport.guard import within

T = TypeVar("T")
MAX_RETRY_AFTER = 120.0


class RetrySettings(Protocol):
    """How a client retries: `NgcSettings` and `RegistrySettings` both have these fields."""

    @property
    def timeout(self) -> float:
        """Seconds one attempt may take in all."""

    @property
    def retries(self) -> int:
        """Attempts after the first."""

    @property
    def backoff(self) -> float:
        """The first wait in seconds (doubled each time, plus up to as much jitter)."""

    @property
    def max_backoff(self) -> float:
        """The longest wait between attempts (a `Retry-After` may ask for more)."""


class Retryable(Exception):
    """A 429, a 5xx or a malformed body: worth another attempt."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


def retryable(response: httpx.Response, what: str, service: str) -> Retryable:
    """The `Retryable` for a 429 or 5xx `response`, with its `Retry-After`; a
    `RemoteServiceError` instead when `service` asks for a longer wait than a run waits."""
    code = response.status_code
    wait = parse_retry_after(response.headers.get("Retry-After"))
    if wait is not None and wait > MAX_RETRY_AFTER:
        raise RemoteServiceError(
            f"{what}: HTTP {code} and {service} asks to retry after {wait:.0f}s, longer than "
            f"a run waits ({MAX_RETRY_AFTER:g}s); try again later")
    return Retryable(f"{what}: HTTP {code}", wait)


def describe(exc: BaseException, timeout: float) -> str:
    """A transport error in words (its class name only where there is nothing better)."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g}s"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    if isinstance(exc, httpx.ProxyError):
        return "the proxy set in the environment failed"
    if isinstance(exc, httpx.TransportError):
        return f"connection failed ({type(exc).__name__})"
    return str(exc)


def _waiter(settings: RetrySettings) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, MAX_RETRY_AFTER)
        base = settings.backoff
        expo: float = min(max(settings.max_backoff, 0.0), base * 2.0 ** (state.attempt_number - 1))
        return expo + random.uniform(0, base)  # jitter spreads retries of parallel requests

    return wait


def _socks_errors() -> tuple[type[Exception], ...]:
    """socksio's errors (a proxy that does not answer as SOCKS), when socksio is installed."""
    try:
        from socksio.exceptions import SOCKSError
    except ImportError:  # pragma: no cover - httpx[socks] is a dependency
        return ()
    return (SOCKSError,)


def failure(exc: BaseException, what: str, where: str,
            settings: RetrySettings) -> RemoteServiceError | None:
    """The one-line error (exit 3) for `exc`, which ended the request named `what` to the
    service at `where`; None when `exc` is not about the service (a defect: let it through)."""
    tries = settings.retries + 1
    gave_up = f"gave up after {tries} attempt{'s' if tries != 1 else ''}"
    if isinstance(exc, Retryable):
        return RemoteServiceError(f"{exc} ({gave_up})")
    if isinstance(exc, httpx.TransportError):
        return RemoteServiceError(f"{what}: {describe(exc, settings.timeout)} ({where}; "
                                  f"{gave_up})")
    if isinstance(exc, httpx.DecodingError):
        return RemoteServiceError(f"{what}: the answer's compressed body cannot be decoded "
                                  f"({where}; {gave_up})")
    if isinstance(exc, httpx.TooManyRedirects):
        return RemoteServiceError(f"{what}: too many redirects, a redirect loop? ({where})")
    if isinstance(exc, httpx.InvalidURL):
        return RemoteServiceError(f"{what}: no valid request URL can be formed for it "
                                  f"under {where}")
    if isinstance(exc, UnicodeEncodeError):
        return RemoteServiceError(f"{what}: a request header would hold text that is not "
                                  f"ASCII (the API key, or a token from {where})")
    if isinstance(exc, _socks_errors()):
        return RemoteServiceError(f"{what}: the proxy set in the environment (ALL_PROXY, "
                                  f"HTTPS_PROXY or HTTP_PROXY) does not answer as a SOCKS "
                                  f"proxy ({where})")
    return None


RETRIED = (Retryable, httpx.TransportError, httpx.DecodingError)


async def send(settings: RetrySettings, what: str, where: str,
               request: Callable[[], Awaitable[httpx.Response]],
               check: Callable[[httpx.Response], T]) -> T:
    """`check(await request())`, retried as the module says; `what` names the request in
    messages and `where` the service (its base URL). `request` reads its answer through
    `bounded.fetch`, so that no answer is larger than its cap."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(settings.retries + 1),
        wait=_waiter(settings),
        retry=retry_if_exception_type(RETRIED),
        reraise=True,
    )
    try:
        async for attempt in retrying:
            with attempt:
                return check(await within(settings.timeout, request()))
    except Exception as exc:
        error = failure(exc, what, where, settings)
        if error is None:
            raise
        raise error from None
    raise AssertionError("unreachable")  # pragma: no cover
