"""NGC's API client against answers and proxies that misbehave (issue 27, items 4, 10, 12 and
13): the size cap on every answer, digests in repo answers, failures that used to end in exit
70, and a key that must not reach a proxy. Only loopback servers."""

from __future__ import annotations

import json
import re
import tracemalloc
from pathlib import Path

import pytest

from tests.airgap.hostile import Recorder, gzip_bomb, proxy_env
from tests.helpers import FAKE_KEY, Result, one_error_line, run_cli
from tests.metadata.conftest import KEY_ENV, Generate, entry
from tests.ngc_server import Answer, NgcServer, Seen, repo_doc

CALLER = r"/v3/keys/get-caller-info"
CATALOG = r"/v2/search/catalog/resources/CONTAINER"


def _validate(url: str, env: dict[str, str] | None = None, *extra: str) -> Result:
    return run_cli(["key", "validate", "--ngc-url", url, "--retries", "0", "--timeout", "5",
                    *extra], env={**KEY_ENV, **(env or {})})




def _answering(server: NgcServer, method: str, path: str, answer: Answer) -> None:
    server.route(method, path, lambda ngc, match, seen: answer)


# item 4: every answer is read against a cap --------------------------------------------------
def test_a_gzip_bomb_from_ngc_stops_at_the_decoded_cap() -> None:
    """A quarter MB that decodes to 256 MiB: refused at 16 MiB, never held whole."""
    with NgcServer() as ngc:
        _answering(ngc, "POST", CALLER, Answer(200, gzip_bomb(256 << 20), {
            "Content-Type": "application/json", "Content-Encoding": "gzip"}))
        tracemalloc.start()
        try:
            result = _validate(ngc.base_url)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        url = ngc.base_url + CALLER
    line = one_error_line(result)
    assert f"{url}: the answer is over the 16 MiB cap on its decoded size" in line
    assert peak < 96 << 20, f"{peak / 2**20:.0f} MiB held"


def test_a_catalog_page_over_the_cap_is_refused(generate: Generate, tmp_path: Path) -> None:
    """17 MiB of JSON (a catalog page is about 1.3 MB at 1,000 models): exit 3 naming the URL
    without its query, nothing written."""
    out = tmp_path / "cm.yaml"
    page = json.dumps({"results": [], "padding": " " * (17 << 20)}).encode()
    with NgcServer([entry("alpha")]) as ngc:
        _answering(ngc, "GET", CATALOG, Answer(200, page, {"Content-Type": "application/json"}))
        result = generate(ngc, "-o", str(out))
        url = ngc.base_url + CATALOG
    line = one_error_line(result)
    assert line.endswith(f"{url}: the answer is over the 16 MiB cap on its compressed size; "
                         "refused")
    assert not out.exists()


# item 10: a digest NGC sends must have a digest's shape ---------------------------------------
@pytest.mark.parametrize("digest", [
    "sha256:" + "a" * 64 + "\nerror: forged",
    "sha256:" + "A" * 64,
    "sha256:1234",
], ids=["newline", "upper-case", "short"])
def test_a_malformed_digest_in_a_repo_answer_is_exit_3(generate: Generate, tmp_path: Path,
                                                       digest: str) -> None:
    doc = repo_doc(entry("alpha"))
    doc["latestArchitectureVariants"][0]["digest"] = digest
    side = tmp_path / "details.json"
    server = NgcServer()
    server.add_model(doc)
    with server:
        result = generate(server, "-o", str(tmp_path / "cm.yaml"), "--extended", str(side))
    line = one_error_line(result)
    assert "nim/meta/alpha: NGC sent a malformed digest in latestArchitectureVariants[0]" \
           ".digest" in line
    assert "forged" not in result.err + result.out
    assert not side.exists()


# item 12: what used to be exit 70 ------------------------------------------------------------
def test_a_broken_gzip_answer_is_retried_then_exit_3() -> None:
    with NgcServer() as ngc:
        _answering(ngc, "POST", CALLER, Answer(200, b"\x1f\x8b not gzip after all", {
            "Content-Type": "application/json", "Content-Encoding": "gzip"}))
        result = _validate(ngc.base_url, None, "--retries", "1", "--backoff", "0.01")
        asked = ngc.count(CALLER)
    assert re.search(r"key validation: the answer's compressed body cannot be decoded "
                     r"\(http://127\.0\.0\.1:\d+; gave up after 2 attempts\)$",
                     one_error_line(result))
    assert asked == 2


def test_a_key_that_cannot_go_in_a_header_is_exit_3() -> None:
    """A key with a non-ASCII letter passes the key checks but not httpx's header encoding."""
    key = FAKE_KEY[:-1] + "\u00e9"
    with NgcServer() as ngc:
        result = _validate(ngc.base_url, {"NGC_API_KEY": key})
        asked = ngc.count()
    line = one_error_line(result)
    assert "request header would hold text that is not ASCII" in line and key not in line
    assert asked == 0


def test_a_socks_proxy_that_is_no_socks_proxy_is_exit_3() -> None:
    """NGC is remote here (the name is never resolved: the proxy is asked first)."""
    with Recorder() as proxy:
        result = _validate("https://api.ngc.example.invalid",
                           proxy_env(f"socks5h://127.0.0.1:{proxy.port}"))
        received = b"".join(proxy.received)
    assert "does not answer as a SOCKS proxy" in one_error_line(result)
    assert received.startswith(b"\x05") and FAKE_KEY.encode() not in received


# item 13: a plain-http NGC URL to this machine never goes through a proxy ---------------------
@pytest.mark.parametrize("scheme", ["http", "socks5h", "socks5"])
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_key_to_a_loopback_ngc_url_bypasses_every_proxy(scheme: str, host: str) -> None:
    with Recorder() as proxy, NgcServer() as ngc:
        result = _validate(ngc.base_url.replace("127.0.0.1", host),
                           proxy_env(f"{scheme}://127.0.0.1:{proxy.port}"))
        seen = [s for s in ngc.requests if s.method == "POST"]
    assert proxy.received == []  # not a byte, so not the key
    assert result.code == 0, result
    assert len(seen) == 1 and _bearer(seen[0]) == FAKE_KEY


def _bearer(seen: Seen) -> str:
    return seen.headers.get("Authorization", "").removeprefix("Bearer ")
