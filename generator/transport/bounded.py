"""Bounds on what a run takes from a service: how many requests run at once (`map_bounded`)
and how many bytes one answer may hold (`fetch`).

Every answer is streamed and read against a `Cap`: the bytes on the wire and the bytes once
decoded are counted separately, and gzip or deflate is decoded in steps that never produce
more than the room left, so a small compressed body cannot expand past the cap in memory (a
gzip bomb) and a multi-GiB body is cut off after the cap. An answer over its cap is an
`AnswerTooLarge` (exit 3, not retried: the same server would send it again). Redirects are
followed here, one `next_request` at a time, so that no redirect's body is read whole.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import httpx

from generator.errors import RemoteServiceError

T = TypeVar("T")
R = TypeVar("R")
MiB = 1 << 20
ACCEPT_ENCODING = "gzip"
# zlib's window bits per Content-Encoding: gzip's header, or (deflate, RFC 9110) zlib's,
# detected from the first bytes; any other coding, or codings stacked, is refused
_WINDOW_BITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
                "deflate": 32 + zlib.MAX_WBITS}
_NOT_FORWARDED = frozenset(("content-encoding", "content-length", "transfer-encoding"))


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


@dataclass(frozen=True, slots=True)
class Cap:
    """The most bytes one answer may hold: as sent (`compressed`) and once decoded."""

    compressed: int
    decoded: int

    def words(self, which: str) -> str:
        """The cap on `which` size ("compressed" or "decoded") in words, for messages."""
        size = self.compressed if which == "compressed" else self.decoded
        return f"the {size // MiB} MiB cap on its {which} size" if size % MiB == 0 else \
            f"the {size}-byte cap on its {which} size"


class AnswerTooLarge(RemoteServiceError):
    """An answer over its `Cap`: a broken or hostile server (exit 3, never retried)."""


def bare_url(url: httpx.URL) -> str:
    """`url` without its query or fragment, to name a request in a message."""
    return str(url.copy_with(query=None, fragment=None))


def _too_large(url: str, cap: Cap, which: str) -> AnswerTooLarge:
    """The one-line error for an answer from `url` over `cap` on its `which` size."""
    return AnswerTooLarge(f"{url}: the answer is over {cap.words(which)}; refused")


def _inflater(coding: str, body: _Body) -> zlib._Decompress | None:
    """The decompressor for a `Content-Encoding` value (None: the body is sent as is)."""
    coding = coding.strip().lower()
    if coding in ("", "identity"):
        return None
    bits = _WINDOW_BITS.get(coding)
    if bits is None:
        raise RemoteServiceError(f"{body.url}: the answer has Content-Encoding {coding[:40]!r}; "
                                 f"only {ACCEPT_ENCODING} or deflate is accepted")
    return zlib.decompressobj(bits)


class _Body:
    """One answer's body, read against a `Cap` chunk by chunk as it arrives."""

    def __init__(self, response: httpx.Response, cap: Cap) -> None:
        self.request = response.request
        self.cap = cap
        self.wire = 0
        self.size = 0
        self.parts: list[bytes] = []
        self.inflate = _inflater(response.headers.get("Content-Encoding", ""), self)

    @property
    def url(self) -> str:
        """The request's URL without its query, for a message (only errors need it)."""
        return bare_url(self.request.url)

    def feed(self, chunk: bytes) -> None:
        """Count `chunk` as sent and keep what it decodes to, within the cap."""
        self.wire += len(chunk)
        if self.wire > self.cap.compressed:
            raise _too_large(self.url, self.cap, "compressed")
        if self.inflate is None:
            self._keep(chunk)
            return
        while chunk:
            try:  # never more than one byte past the room left
                piece = self.inflate.decompress(chunk, self.cap.decoded - self.size + 1)
            except zlib.error:
                raise httpx.DecodingError("the compressed body is broken",
                                          request=self.request) from None
            self._keep(piece)
            chunk = self.inflate.unconsumed_tail if piece else b""

    def _keep(self, piece: bytes) -> None:
        """Keep decoded bytes, unless they take the body over the cap."""
        self.size += len(piece)
        if self.size > self.cap.decoded:
            raise _too_large(self.url, self.cap, "decoded")
        self.parts.append(piece)

    def content(self) -> bytes:
        """The decoded body; a compressed one must have reached its end."""
        if self.inflate is not None and self.wire and not self.inflate.eof:
            raise httpx.DecodingError("the compressed body ends early", request=self.request)
        return b"".join(self.parts)


def _declared_length(response: httpx.Response) -> int | None:
    """The Content-Length the answer declares, if any."""
    value = response.headers.get("Content-Length", "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


async def read_capped(response: httpx.Response, cap: Cap) -> bytes:
    """The decoded body of a streamed `response`, or `AnswerTooLarge` as soon as it is over
    `cap` (at once when its Content-Length says so)."""
    body = _Body(response, cap)
    declared = _declared_length(response)
    if declared is not None and declared > cap.compressed:
        raise _too_large(body.url, cap, "compressed")
    async for chunk in response.aiter_raw():
        body.feed(chunk)
    return body.content()


async def _follow(client: httpx.AsyncClient, request: httpx.Request,
                  auth: httpx.Auth | tuple[str, str] | None) -> httpx.Response:
    """The streamed answer to `request`, after the redirects `client` follows; each redirect
    is closed unread (httpx itself would read its body whole)."""
    response = await client.send(request, auth=auth, follow_redirects=False, stream=True)
    hops = 0
    while client.follow_redirects and response.next_request is not None:
        await response.aclose()
        hops += 1
        if hops > client.max_redirects:
            raise httpx.TooManyRedirects(f"more than {client.max_redirects} redirects",
                                         request=response.next_request)
        response = await client.send(response.next_request, follow_redirects=False,
                                     stream=True)
    return response


def _buffered(response: httpx.Response, content: bytes) -> httpx.Response:
    """`response` with its decoded body in memory (and no header saying it is encoded)."""
    headers = [(name, value) for name, value in response.headers.multi_items()
               if name.lower() not in _NOT_FORWARDED]
    return httpx.Response(response.status_code, headers=headers, content=content,
                          request=response.request)


async def fetch(client: httpx.AsyncClient, request: httpx.Request, cap: Cap, *,
                auth: httpx.Auth | tuple[str, str] | None = None) -> httpx.Response:
    """Send `request` (with `auth`), follow redirects if `client` does, and read the answer
    within `cap`: the one way every client of the run reads an answer."""
    response = await _follow(client, request, auth)
    try:
        content = await read_capped(response, cap)
    finally:
        await response.aclose()
    return _buffered(response, content)
