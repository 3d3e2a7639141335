"""`metadata generate` overlaps its requests (issue 26): the catalog is read while the key is
checked, pages 1 to N-1 together once page 0 has given N, each model as soon as its page is
in. What must not change: no request that carries the key goes out before NGC has accepted
the key, a rejected key ends the run exactly as before (exit 3, the same one line, nothing
written), and the files are byte for byte what they were, whatever order the answers arrive
in.

The server records when each request arrived and when its answer began to go out
(`Seen.at`, `Seen.answered_at`, one clock), so "after the key check was answered" is a fact
about the requests, not a timing.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from generator.errors import AuthenticationError, RemoteServiceError
from generator.metadata.discover import Resource, discover
from generator.metadata.fetch import run_probe
from generator.metadata.progress import Progress
from generator.ngc import NgcSettings
from generator.ngc.client import NgcClient
from tests.helpers import EU_LIST, FAKE_KEY, SNAPSHOT, Result, run_cli
from tests.metadata.conftest import FAST, entry, snapshot_entries
from tests.ngc_server import Answer, Fault, NgcServer, Seen, _caller

CALLER = r"/v3/keys/get-caller-info"
WRONG_KEY = "nvapi-not-the-right-key"
PREVIOUS = b"previous ConfigMap: must survive\n"
# sha256 of what `metadata generate` wrote for the recorded snapshot (pages of 50, the
# recorded EU list) before issue 26, when every request waited for the one before it
CONFIGMAP_SHA256 = "fcdc7d44effcb89b2e6612bb1f9b1cfe999bb528d24d94627615d5307201418b"
EXTENDED_SHA256 = "38a2fd20ff9ca4c518864fec5b3e8fa6cab0bfff65df3e34999098b9271f786c"


def _generate(server: NgcServer, out: Path, *args: str, key: str = FAKE_KEY) -> Result:
    return run_cli(["metadata", "generate", "--ngc-url", server.base_url, "-o", str(out),
                    *FAST, *args], env={"NGC_API_KEY": key})


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hold_key_check(server: NgcServer, until: threading.Event, held: list[bool],
                    status: int | None = None) -> None:
    """Answer the key check only once `until` is set (at most 10 s), recording whether it
    was set in time; then answer as NGC would (or with `status`)."""
    def caller(ngc: NgcServer, match: re.Match[str], seen: Seen) -> Answer:
        held.append(until.wait(timeout=10))
        if status is not None:
            return Answer.json({"requestStatus": {"statusCode": "REFUSED"}}, status)
        return _caller(ngc, match, seen)

    server.route("POST", CALLER, caller)


def _key_check(server: NgcServer) -> Seen:
    (check,) = [r for r in server.requests if r.path == CALLER]
    return check


def _all_pages_arrived(server: NgcServer, pages: int) -> threading.Event:
    """An event set once `pages` catalog requests have reached the server."""
    arrived = threading.Event()
    seen = [0]

    def count(ngc: NgcServer) -> None:
        with ngc.lock:
            seen[0] += 1
            if seen[0] >= pages:
                arrived.set()

    server.fault(r"/v2/search/catalog", Fault(kind="action", action=count))
    return arrived


def test_the_catalog_is_read_while_the_key_is_checked(tmp_path: Path) -> None:
    """The key check is held until every catalog page has arrived: a run that sent the
    catalog only after the verdict would wait out the hold (and the test fails). No model,
    the only requests that carry the key, is asked for before the key check is answered."""
    held: list[bool] = []
    out = tmp_path / "cm.yaml"
    with NgcServer(snapshot_entries(), page_size=50) as server:
        _hold_key_check(server, _all_pages_arrived(server, 4), held)
        result = _generate(server, out, "--eu-restricted", str(EU_LIST))
    assert result.code == 0, result.err
    assert held == [True]
    check = _key_check(server)
    keyed = [r for r in server.requests if r.carries(FAKE_KEY) and r is not check]
    assert len(keyed) == 186 and all(r.path.startswith("/v2/org/") for r in keyed)
    assert min(r.at for r in keyed) > check.answered_at
    catalog = [r for r in server.requests if "/v2/search/catalog" in r.path]
    assert not any(r.carries(FAKE_KEY) for r in catalog)
    assert _sha256(out) == CONFIGMAP_SHA256


@pytest.mark.parametrize("status", [401, 403, 400])
def test_a_rejected_key_sends_no_request_that_carries_it(tmp_path: Path, status: int) -> None:
    """The verdict comes after the whole catalog is in, when every model could be asked for:
    none is, and the run ends as it did when the key check ran alone (exit 3, one line)."""
    out, report = tmp_path / "cm.yaml", tmp_path / "report.md"
    out.write_bytes(PREVIOUS)
    held: list[bool] = []
    with NgcServer(snapshot_entries(), page_size=50) as server:
        _hold_key_check(server, _all_pages_arrived(server, 4), held,
                        None if status == 401 else status)
        if status == 401:
            server.keys = {"nvapi-some-other-key"}
        result = _generate(server, out, "--report", str(report), "--previous", str(SNAPSHOT))
    assert held == [True]  # every page was in before the verdict
    assert result.code == 3
    assert result.err == (f"error: NGC rejected the API key (HTTP {status} from key "
                          "validation)\n")
    assert [r.path for r in server.requests if r.carries(FAKE_KEY)] == [CALLER]
    assert server.count(r"/repos/") == 0 and server.count(r"/v2/search/catalog") == 4
    assert out.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_a_rejected_key_is_the_error_even_when_the_catalog_fails(tmp_path: Path) -> None:
    """The catalog may fail before the key check answers; the key's verdict is still what
    the run reports, as when the key was checked first."""
    out = tmp_path / "cm.yaml"
    with NgcServer(snapshot_entries(), page_size=50) as server:
        server.fault(r'"page":0', status=502)
        result = _generate(server, out, "--retries", "0", key=WRONG_KEY)
    assert (result.code, result.err) == (
        3, "error: NGC rejected the API key (HTTP 401 from key validation)\n")
    with NgcServer([entry("shared"), entry("shared", "nim/nvidia")]) as server:
        collision = _generate(server, out, key=WRONG_KEY)  # exit 1 with a good key
    assert (collision.code, collision.err) == (
        3, "error: NGC rejected the API key (HTTP 401 from key validation)\n")
    assert not out.exists()


def test_a_failing_key_check_sends_no_request_that_carries_the_key(tmp_path: Path) -> None:
    out = tmp_path / "cm.yaml"
    with NgcServer(snapshot_entries(), page_size=50) as server:
        server.fault(CALLER, status=500)
        result = _generate(server, out, "--retries", "1")
    assert (result.code, result.err) == (
        3, "error: key validation: HTTP 500 (gave up after 2 attempts)\n")
    assert server.count(r"/repos/") == 0
    assert [r.path for r in server.requests if r.carries(FAKE_KEY)] == [CALLER, CALLER]
    assert not out.exists()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_files_do_not_depend_on_the_order_of_the_answers(tmp_path: Path,
                                                              seed: int) -> None:
    """Answers held for a random 0 to 60 ms each (seeded), and a fault on every kind of
    request, so that they come back in a different order each time: the ConfigMap and the
    side file are the bytes written before the requests overlapped."""
    out, extended = tmp_path / "cm.yaml", tmp_path / "details.json"
    with NgcServer(snapshot_entries(), page_size=50, jitter=0.06, seed=seed) as server:
        server.fault(r"/repos/llama", status=503, times=1, per_path=True)
        server.fault(r'"page":2', kind="reset", times=1)
        server.fault(CALLER, status=502, times=1)
        result = _generate(server, out, "--eu-restricted", str(EU_LIST), "--extended",
                           str(extended), "--jobs", str(8 * seed))
        answers = [r.answered_at for r in server.requests if "/repos/" in r.path]
    assert result.code == 0, result.err
    assert answers != sorted(answers)  # the answers did not come back in request order
    assert _sha256(out) == CONFIGMAP_SHA256
    assert _sha256(extended) == EXTENDED_SHA256


def test_a_key_revoked_mid_run_leaves_no_error_unseen(caplog: pytest.LogCaptureFixture,
                                                      ) -> None:
    """The first 401 ends the run; every other request's outcome is collected, so asyncio
    has nothing to report as never retrieved once the run is over."""
    with NgcServer(snapshot_entries(), page_size=50) as server:
        server.fault(r"/repos/", status=401, after=40)
        settings = NgcSettings(url=server.base_url, retries=0)
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            for _ in range(3):
                with pytest.raises(AuthenticationError, match="expired or been revoked"):
                    run_probe(settings, FAKE_KEY, progress=lambda n: Progress(n, quiet=True))
                gc.collect()
    assert [r.getMessage() for r in caplog.records] == []


class _FourPages:
    """A stand-in for `NgcClient`: a catalog of four pages of one model each, recording when
    each page's request goes out (`on_sent`) and when discover hands a page's models on."""

    def __init__(self, unsendable: int | None = None) -> None:
        self.events: list[str] = []
        self.unsendable = unsendable

    async def catalog_page(self, page: int, on_sent: Callable[[], None] | None = None,
                           ) -> dict[str, Any]:
        await asyncio.sleep(0)  # the request is set up, then goes out
        if page == self.unsendable:
            raise RemoteServiceError(f"catalog page {page}: cannot connect")
        self.events.append(f"sent {page}")
        if on_sent is not None:
            on_sent()
        await asyncio.sleep(0.01)
        resource = {"resourceId": f"nim/team/model-{page}", "name": f"model-{page}",
                    "attributes": [{"key": "latestTag", "value": "1.0.0"}]}
        return {"params": {"page": page}, "resultPageTotal": 4, "resultTotal": 4,
                "results": [{"groupValue": "CONTAINER", "resources": [resource]}]}

    def handed_on(self, found: list[Resource]) -> None:
        self.events.extend(f"models of {r.name}" for r in found)


def test_the_later_pages_go_out_before_the_first_pages_models() -> None:
    """The last round trip waits for pages 1 to N-1: page 0's models (each request costs CPU
    to set up) are started only once those pages' requests are out."""
    client = _FourPages()
    found = asyncio.run(discover(cast(NgcClient, client), on_page=client.handed_on))
    assert [r.name for r in found] == ["model-0", "model-1", "model-2", "model-3"]
    first = client.events.index("models of model-0")
    assert {"sent 1", "sent 2", "sent 3"} <= set(client.events[:first])


def test_a_later_page_that_never_goes_out_does_not_hold_the_run() -> None:
    client = _FourPages(unsendable=2)
    with pytest.raises(RemoteServiceError, match="catalog page 2: cannot connect"):
        asyncio.run(asyncio.wait_for(
            discover(cast(NgcClient, client), on_page=client.handed_on), timeout=10))
    assert "models of model-0" in client.events  # handed on once page 2 had failed
