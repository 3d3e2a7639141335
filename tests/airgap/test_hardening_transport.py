"""`airgap lock` against registries that misbehave (issue 27, items 4 and 10-13): answers over
their size cap, digests that are not what they claim, failures that used to end in exit 70,
and proxies that must not see a request to this machine. Only loopback servers."""

from __future__ import annotations

import gzip
import hashlib
import json
import time
import tracemalloc
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from generator.errors import RemoteServiceError
from generator.metadata.extended import Details, Variant, details_json
from tests.airgap.hostile import Recorder, answer, gzip_bomb, proxy_env, scripted, stream
from tests.airgap.registry_server import INDEX, Registry
from tests.helpers import FAKE_KEY, Result, one_error_line, run_cli

Write = Callable[[Any], Path]
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": []}).encode()
FIRST = "/v2/nim/meta/llama-3.1-8b-instruct/manifests/1.15.4"  # the first image locked


def _config(airgap_config: dict[str, Any], write_config: Write) -> Path:
    airgap_config["spec"]["airGap"]["pinDigests"] = True
    return write_config(airgap_config)


def _lock(config: Path, url: str, *extra: str, env: dict[str, str] | None = None) -> Result:
    return run_cli(["airgap", "lock", str(config), "--registry-url", url, "--jobs", "1",
                    "--retries", "0", "--backoff", "0.01", "--timeout", "5", *extra],
                   env={"NGC_API_KEY": FAKE_KEY, **(env or {})})




def _registry(manifest: Callable[[BaseHTTPRequestHandler], None],
              token: str = "pull-token") -> Callable[[BaseHTTPRequestHandler], None]:
    """A script: `/proxy_auth` issues `token`, a manifest request gets `manifest`."""
    def script(handler: BaseHTTPRequestHandler) -> None:
        if urlsplit(handler.path).path == "/proxy_auth":
            answer(handler, 200, json.dumps({"token": token}).encode(),
                   {"Content-Type": "application/json"})
        else:
            manifest(handler)
    return script


def _no_lock(config: Path) -> bool:
    return not config.with_name("nim-gitops.lock.yaml").exists()


# item 4: every answer is read against a cap, on the wire and decoded -------------------------
def test_a_gzip_bomb_manifest_stops_at_the_decoded_cap(
        airgap_config: dict[str, Any], write_config: Write) -> None:
    """256 KB of gzip that decodes to 256 MiB: refused at 4 MiB, never held whole."""
    config = _config(airgap_config, write_config)
    bomb = gzip_bomb(256 << 20)
    script = _registry(lambda h: answer(h, 200, bomb, {"Content-Type": INDEX,
                                                       "Content-Encoding": "gzip"}))
    with scripted(script) as url:
        tracemalloc.start()
        try:
            result = _lock(config, url)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    line = one_error_line(result)
    assert f"{url}{FIRST}: the answer is over the 4 MiB cap on its decoded size" in line
    assert peak < 64 << 20, f"{peak / 2**20:.0f} MiB held"
    assert _no_lock(config)


def test_an_endless_manifest_is_cut_off_at_the_cap(airgap_config: dict[str, Any],
                                                   write_config: Write) -> None:
    """A body without a length that goes on (256 MiB here): the client hangs up at 4 MiB."""
    config = _config(airgap_config, write_config)
    sent = [0]
    script = _registry(lambda h: stream(h, {"Content-Type": INDEX}, 256 << 20, sent))
    with scripted(script) as url:
        result = _lock(config, url)
    line = one_error_line(result)
    assert f"{url}{FIRST}: the answer is over the 4 MiB cap on its compressed size" in line
    assert sent[0] < 64 << 20
    assert _no_lock(config)


def test_a_declared_length_over_the_cap_is_refused_before_the_body(
        airgap_config: dict[str, Any], write_config: Write) -> None:
    """A Content-Length of 5 GiB with a body that never comes: refused at once, not after
    the deadline."""
    config = _config(airgap_config, write_config)

    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", INDEX)
        handler.send_header("Content-Length", str(5 << 30))
        handler.end_headers()
        handler.wfile.flush()
        time.sleep(3)

    with scripted(_registry(huge)) as url:
        started = time.monotonic()
        result = _lock(config, url)
    assert "4 MiB cap on its compressed size" in one_error_line(result)
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize(("coding", "pack"), [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("identity", lambda body: body),
])
def test_a_compressed_manifest_is_pinned_to_its_decoded_bytes(
        airgap_config: dict[str, Any], write_config: Write, coding: str,
        pack: Callable[[bytes], bytes]) -> None:
    config = _config(airgap_config, write_config)
    digest = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
    script = _registry(lambda h: answer(h, 200, pack(MANIFEST), {
        "Content-Type": INDEX, "Content-Encoding": coding, "Docker-Content-Digest": digest}))
    with scripted(script) as url:
        result = _lock(config, url)
    assert result.code == 0, result
    assert digest in config.with_name("nim-gitops.lock.yaml").read_text("utf-8")


@pytest.mark.parametrize(("coding", "body", "message"), [
    ("gzip", b"this is not gzip", "compressed body cannot be decoded"),
    ("gzip", gzip.compress(MANIFEST)[:-12], "compressed body cannot be decoded"),
    ("br", MANIFEST, "Content-Encoding 'br'; only gzip or deflate is accepted"),
    ("gzip, gzip", gzip.compress(gzip.compress(MANIFEST)), "Content-Encoding 'gzip, gzip'"),
], ids=["broken", "cut-short", "unsupported", "stacked"])
def test_a_body_that_does_not_decode_is_exit_3(
        airgap_config: dict[str, Any], write_config: Write, coding: str, body: bytes,
        message: str) -> None:
    """httpx.DecodingError used to end in exit 70; a broken body is retried like any other."""
    config = _config(airgap_config, write_config)
    seen: list[str] = []

    def manifest(handler: BaseHTTPRequestHandler) -> None:
        seen.append(handler.path)
        answer(handler, 200, body, {"Content-Type": INDEX, "Content-Encoding": coding})

    with scripted(_registry(manifest)) as url:
        result = _lock(config, url, "--retries", "1")
    assert message in one_error_line(result)
    assert len(seen) == (2 if "decoded" in message else 1)
    assert _no_lock(config)


# item 11: the Docker-Content-Digest header must name the manifest received --------------------
def test_a_digest_header_that_does_not_match_the_body_is_refused(
        airgap_config: dict[str, Any], write_config: Write) -> None:
    config = _config(airgap_config, write_config)
    claimed = "sha256:" + hashlib.sha256(b"another manifest").hexdigest()
    received = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
    script = _registry(lambda h: answer(h, 200, MANIFEST, {
        "Content-Type": INDEX, "Docker-Content-Digest": claimed}))
    with scripted(script) as url:
        result = _lock(config, url)
    line = one_error_line(result)
    assert "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.4" in line
    assert f"Docker-Content-Digest {claimed} is not the digest of the manifest it sent " \
           f"({received})" in line
    assert _no_lock(config)


@pytest.mark.parametrize("claimed", [
    "sha256:" + "A" * 64, "sha512:" + "a" * 128, "sha256:" + "a" * 63,
])
def test_a_malformed_digest_header_is_refused(airgap_config: dict[str, Any],
                                              write_config: Write, claimed: str) -> None:
    config = _config(airgap_config, write_config)
    script = _registry(lambda h: answer(h, 200, MANIFEST, {
        "Content-Type": INDEX, "Docker-Content-Digest": claimed}))
    with scripted(script) as url:
        result = _lock(config, url)
    line = one_error_line(result)
    assert "malformed" in line and claimed not in line


# item 10: a digest from the extended details must have a digest's shape ----------------------
@pytest.mark.parametrize("digest", [
    "sha256:" + "a" * 64 + "\n  nvcr.io/nim/forged:1 -> sha256:" + "b" * 64,
    "sha256:not-hex",
    "sha256:" + "a" * 64 + " ",
], ids=["newline", "not-hex", "trailing-space"])
def test_a_malformed_digest_in_the_details_is_exit_1(
        airgap_config: dict[str, Any], write_config: Write, tmp_path: Path,
        registry: Registry, registry_url: str, digest: str) -> None:
    config = _config(airgap_config, write_config)
    details = tmp_path / "details.json"
    details.write_text(details_json([Details("llama-3.1-8b-instruct", "1.15.5",
                                             variants={"amd64": Variant(digest, 10)})]))
    result = _lock(config, registry_url, "--extended", str(details))
    line = one_error_line(result, code=1)
    assert str(details) in line and \
        "models.llama-3.1-8b-instruct.architectures.amd64.digest: not a sha256 digest" in line
    assert "forged" not in result.err + result.out
    assert _no_lock(config) and registry.log == []


# item 12: what used to be exit 70 ------------------------------------------------------------
def test_a_redirect_loop_is_exit_3(airgap_config: dict[str, Any], write_config: Write) -> None:
    config = _config(airgap_config, write_config)
    hops: list[str] = []

    def loop(handler: BaseHTTPRequestHandler) -> None:
        hops.append(handler.path)
        answer(handler, 302, b"", {"Location": handler.path})

    with scripted(loop) as url:
        result = _lock(config, url)
    line = one_error_line(result)
    assert "too many redirects" in line and url in line
    assert len(hops) == 21  # the first request and httpx's 20 redirects
    assert _no_lock(config)


def test_a_redirect_body_is_not_read(airgap_config: dict[str, Any],
                                     write_config: Write) -> None:
    """httpx reads a redirect's body whole before it follows; here each redirect is closed
    unread, so 256 MiB bodies on three redirects cost nothing."""
    config = _config(airgap_config, write_config)
    sent = [0]
    digest = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()

    def manifest(handler: BaseHTTPRequestHandler) -> None:
        if handler.path.endswith("-moved"):
            answer(handler, 200, MANIFEST, {"Content-Type": INDEX})
        else:
            handler.send_response(302)
            handler.send_header("Location", handler.path + "-moved")
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            while sent[0] < 256 << 20:
                handler.wfile.write(b"10000\r\n" + b"x" * 0x10000 + b"\r\n")
                sent[0] += 0x10000

    with scripted(_registry(manifest)) as url:
        result = _lock(config, url)
    assert result.code == 0, result
    assert digest in config.with_name("nim-gitops.lock.yaml").read_text("utf-8")
    assert sent[0] < 64 << 20


def test_a_non_ascii_pull_token_is_exit_3(airgap_config: dict[str, Any],
                                          write_config: Write) -> None:
    config = _config(airgap_config, write_config)
    script = _registry(lambda h: answer(h, 200, MANIFEST, {"Content-Type": INDEX}),
                       token="t\u00f6ken")
    with scripted(script) as url:
        result = _lock(config, url)
    assert "issued a token that is not printable ASCII" in one_error_line(result)


def test_a_socks_proxy_that_is_no_socks_proxy_is_exit_3(
        airgap_config: dict[str, Any], write_config: Write) -> None:
    """The registry is remote (the name is never resolved: the proxy is asked first)."""
    config = _config(airgap_config, write_config)
    with Recorder() as proxy:
        result = _lock(config, "https://registry.example.invalid",
                       env=proxy_env(f"socks5://127.0.0.1:{proxy.port}"))
        received = b"".join(proxy.received)
    assert "does not answer as a SOCKS proxy" in one_error_line(result)
    assert received.startswith(b"\x05") and FAKE_KEY.encode() not in received


@pytest.mark.parametrize("exc", [
    UnicodeEncodeError("ascii", "t\u00f6ken", 1, 2, "ordinal not in range(128)"),
    httpx.TooManyRedirects("Exceeded maximum allowed redirects."),
    httpx.DecodingError("bad gzip"),
], ids=["unicode", "redirects", "decoding"])
def test_the_shared_classifier_maps_what_used_to_be_exit_70(exc: Exception) -> None:
    from generator.transport.retry import failure

    class Settings:
        timeout, retries, backoff, max_backoff = 1.0, 0, 0.0, 0.0

    error = failure(exc, "catalog page 0", "https://api.ngc.nvidia.com", Settings())
    assert isinstance(error, RemoteServiceError) and error.exit_code == 3
    assert str(error).startswith("catalog page 0: ") and "\n" not in str(error)
    assert failure(KeyError("a defect"), "x", "y", Settings()) is None


# item 13: a request to this machine never goes through a proxy -------------------------------
@pytest.mark.parametrize("scheme", ["http", "socks5h", "socks5"])
def test_a_loopback_registry_bypasses_every_proxy(
        airgap_config: dict[str, Any], write_config: Write, registry: Registry,
        registry_url: str, scheme: str) -> None:
    config = _config(airgap_config, write_config)
    with Recorder() as proxy:
        result = _lock(config, registry_url.replace("127.0.0.1", "localhost"),
                       env=proxy_env(f"{scheme}://127.0.0.1:{proxy.port}"))
    assert proxy.received == []  # not even a connection
    assert result.code == 0, result
    assert registry.count("/proxy_auth") == 3
