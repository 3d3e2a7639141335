"""Units of the NGC client: Retry-After parsing, bounded mapping, discovery without a server."""

from __future__ import annotations

import asyncio
import email.utils
import json
import threading
from typing import Any

import httpx
import pytest

from generator.errors import RemoteServiceError
from generator.metadata.discover import CatalogChanged, discover
from generator.ngc import NgcSettings
from generator.ngc.client import NgcClient, make_http_client
from generator.transport.bounded import map_bounded
from generator.transport.retry import parse_retry_after
from tests.ngc_server import Fault, NgcServer


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), ("", None), ("7", 7.0), (" 12 ", 12.0), ("soon", None), ("-3", None),
    (email.utils.formatdate(1_000_030, usegmt=True), 30.0),
    (email.utils.formatdate(999_000, usegmt=True), 0.0),  # in the past: no wait
])
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=1_000_000) == expected


def test_map_bounded_keeps_order_and_limit() -> None:
    running = peak = 0

    async def work(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * (5 - n % 5))
        running -= 1
        return n * n

    assert asyncio.run(map_bounded(list(range(20)), work, 3)) == [n * n for n in range(20)]
    assert peak == 3
    peak = 0
    assert asyncio.run(map_bounded([1, 2], work, 1)) == [1, 4]
    assert peak == 1


def test_map_bounded_cancels_the_rest_on_error() -> None:
    started: list[int] = []

    async def work(n: int) -> int:
        started.append(n)
        if n == 2:
            raise ValueError("boom")
        await asyncio.sleep(0.05)
        return n

    with pytest.raises(ValueError, match="boom"):
        asyncio.run(map_bounded(list(range(50)), work, 4))
    assert len(started) < 50


def _page(page: int, pages: int, total: int, ids: list[str]) -> dict[str, Any]:
    def resource(rid: str) -> dict[str, Any]:
        return {"resourceId": rid, "name": rid.rsplit("/", 1)[-1], "displayName": rid,
                "attributes": [{"key": "latestTag", "value": "1"}]}

    return {"resultPageTotal": pages, "resultTotal": total, "params": {"page": page},
            "results": [{"groupValue": "_scored", "resources": [resource("nim/x/scored")]},
                        {"groupValue": "CONTAINER", "resources": [resource(i) for i in ids]}]}


def _discover(answers: list[dict[str, Any]]) -> Any:
    calls = iter(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(calls))

    async def go() -> Any:
        settings = NgcSettings(url="http://ngc.test", retries=0)
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            return await discover(NgcClient(http, None, settings))

    return asyncio.run(go())


def test_discover_uses_the_container_group_and_reads_again_after_a_shift() -> None:
    found = _discover([
        _page(0, 2, 4, ["nim/a/one", "nim/a/two"]),
        _page(1, 2, 4, ["nim/a/two", "nim/a/three"]),  # "two" again: something moved
        _page(0, 2, 4, ["nim/a/new", "nim/a/one"]),
        _page(1, 2, 4, ["nim/a/two", "nim/a/three"]),
    ])
    assert [r.resource_id for r in found] == ["nim/a/new", "nim/a/one", "nim/a/three",
                                              "nim/a/two"]


def test_discover_gives_up_when_the_catalog_keeps_changing() -> None:
    answers = []
    for total in (4, 5, 6):
        answers += [_page(0, 2, total, ["nim/a/one"]), _page(1, 2, total + 1, ["nim/a/two"])]
    with pytest.raises(CatalogChanged, match="kept changing over 3 reads") as info:
        _discover(answers)
    assert isinstance(info.value, RemoteServiceError) and info.value.exit_code == 3


def test_discover_refuses_a_page_that_answers_for_another() -> None:
    with pytest.raises(RemoteServiceError, match="catalog page 0: NGC answered with page 3"):
        _discover([_page(3, 4, 4, [])])
    with pytest.raises(RemoteServiceError, match=r"no params\.page or resultPageTotal"):
        _discover([json.loads('{"results": []}')])


def test_a_catalog_page_says_when_its_request_is_out() -> None:
    """`on_sent` fires once the request has gone out, before NGC answers it: the server
    holds the answer until the callback has run."""
    out = threading.Event()
    held: list[bool] = []
    with NgcServer.from_snapshot(page_size=50) as server:
        server.fault(r"/v2/search/catalog", Fault(kind="action",
                                                  action=lambda _: held.append(out.wait(5))))

        async def page() -> dict[str, Any]:
            async with make_http_client(NgcSettings(url=server.base_url)) as http:
                return await NgcClient(http, None, NgcSettings(url=server.base_url)) \
                    .catalog_page(1, on_sent=out.set)

        answer = asyncio.run(page())
    assert held == [True]
    assert answer["params"]["page"] == 1
