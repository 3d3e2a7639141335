"""The registry's requests under faults, retried like NGC's (`generator/transport/retry.py`),
and `--registry-url` held to `--ngc-url`'s rules, against the loopback registry."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from generator.airgap.images import Image
from generator.airgap.registry import RegistrySettings, resolve_digests
from generator.errors import RemoteServiceError
from tests.airgap.registry_server import Registry
from tests.helpers import FAKE_KEY, run_cli
from tests.ngc_server import Fault

Write = Callable[[Any], Path]
LLAMA = Image("nim/meta/llama-3.1-8b-instruct", "1.15.5")
TOKEN = "/proxy_auth"
MANIFEST = "/v2/nim/meta/llama-3.1-8b-instruct/manifests/1.15.5"


def _settings(url: str, **changes: Any) -> RegistrySettings:
    return RegistrySettings(url=url, **{"retries": 2, "backoff": 0.01, "timeout": 5, **changes})


def _resolve(url: str, **changes: Any) -> dict[str, str]:
    return resolve_digests([LLAMA], FAKE_KEY, _settings(url, **changes))


@pytest.mark.parametrize(("path", "fault"), [
    (TOKEN, Fault(status=503, times=2)),
    (MANIFEST, Fault(status=502, times=2)),
    (MANIFEST, Fault(status=429, times=1)),
    (TOKEN, Fault(kind="reset", times=2)),
    (MANIFEST, Fault(kind="reset", times=1)),
    (TOKEN, Fault(kind="malformed", times=1)),
    (TOKEN, Fault(kind="trickle", delay=0.1, times=1)),
], ids=["503x2-token", "502x2-manifest", "429-bare", "reset-token", "reset-manifest",
        "malformed-token", "trickle-once"])
def test_transient_faults_are_retried(registry: Registry, registry_url: str, path: str,
                                      fault: Fault) -> None:
    registry.faults[path] = fault
    got = _resolve(registry_url, timeout=1)
    assert got == {LLAMA.ref: registry.add(LLAMA.repository, LLAMA.tag)}
    assert fault.fired == fault.times
    assert registry.count(path) == fault.times + 1  # type: ignore[operator]


def test_retry_after_is_honoured(registry: Registry, registry_url: str) -> None:
    registry.faults[TOKEN] = Fault(status=429, retry_after="1", times=1)
    started = time.monotonic()
    assert LLAMA.ref in _resolve(registry_url)  # the backoff alone would wait 0.01-0.02 s
    assert time.monotonic() - started >= 1.0
    assert registry.count(TOKEN) == 2


def test_a_retry_after_longer_than_a_run_waits_fails_at_once(registry: Registry,
                                                             registry_url: str) -> None:
    registry.faults[MANIFEST] = Fault(status=429, retry_after="3600")
    with pytest.raises(RemoteServiceError, match="retry after 3600s"):
        _resolve(registry_url)
    assert registry.count(MANIFEST) == 1


def test_a_trickling_registry_is_cut_off_at_the_deadline(registry: Registry,
                                                         registry_url: str) -> None:
    """One byte every 0.1 s never trips httpx's read timeout; the whole-request deadline
    ends each attempt after `timeout` seconds."""
    registry.faults[TOKEN] = Fault(kind="trickle", delay=0.1)
    started = time.monotonic()
    with pytest.raises(RemoteServiceError, match=r"timed out after 0\.5s .*gave up after "
                                                 r"2 attempts"):
        _resolve(registry_url, timeout=0.5, retries=1)
    assert time.monotonic() - started < 3
    assert registry.count(TOKEN) == 2


@pytest.mark.parametrize(("path", "fault", "message"), [
    (TOKEN, Fault(status=503), "token for nim/meta/llama-3.1-8b-instruct: HTTP 503 "
                               "(gave up after 3 attempts)"),
    (MANIFEST, Fault(kind="reset"), "connection failed"),
    (TOKEN, Fault(kind="malformed"), "not valid JSON (gave up after 3 attempts)"),
], ids=["503", "reset", "malformed"])
def test_persistent_faults_give_up(registry: Registry, registry_url: str, path: str,
                                   fault: Fault, message: str) -> None:
    registry.faults[path] = fault
    with pytest.raises(RemoteServiceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _resolve(registry_url)
    assert registry.count(path) == 3


# the command: exit codes, one line, nothing written, the key neither sent nor shown -----------
def _config(airgap_config: dict[str, Any], write_config: Write) -> Path:
    airgap_config["spec"]["airGap"]["pinDigests"] = True
    return write_config(airgap_config)


def _lock(config: Path, url: str, *extra: str, env: dict[str, str] | None = None) -> Any:
    return run_cli(["airgap", "lock", str(config), "--registry-url", url, *extra],
                   env={"NGC_API_KEY": FAKE_KEY, **(env or {})})


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and FAKE_KEY not in err
    return lines[0]


def test_lock_rides_out_faults_and_honours_retry_after(
        airgap_config: dict[str, Any], write_config: Write, registry: Registry,
        registry_url: str) -> None:
    config = _config(airgap_config, write_config)
    registry.faults[TOKEN] = Fault(status=429, retry_after="1", times=1)
    registry.faults[MANIFEST] = Fault(kind="reset", times=1)
    started = time.monotonic()
    result = _lock(config, registry_url, "--backoff", "0.01", "--jobs", "1")
    assert result.code == 0, result.err
    assert time.monotonic() - started >= 1.0
    assert config.with_name("nim-gitops.lock.yaml").is_file()


def test_lock_cut_off_at_the_deadline_writes_nothing(
        airgap_config: dict[str, Any], write_config: Write, registry: Registry,
        registry_url: str) -> None:
    config = _config(airgap_config, write_config)
    registry.faults[MANIFEST] = Fault(kind="trickle", delay=0.1)
    started = time.monotonic()
    result = _lock(config, registry_url, "--timeout", "1", "--retries", "0", "--jobs", "1")
    assert result.code == 3, result
    assert "timed out after 1s" in _one_line(result.err)
    assert time.monotonic() - started < 6
    assert not config.with_name("nim-gitops.lock.yaml").exists()


def test_a_refused_pull_token_is_not_reported_as_a_rejected_key(
        airgap_config: dict[str, Any], write_config: Write, registry: Registry,
        registry_url: str) -> None:
    """The key got a token (it is valid); the manifest request, which carries only that
    token, is refused: the line names the image and the token, not the key."""
    config = _config(airgap_config, write_config)
    registry.denied.add(LLAMA.repository)
    result = _lock(config, registry_url, "--jobs", "1")
    assert result.code == 3, result
    line = _one_line(result.err)
    assert f"nvcr.io/{LLAMA.repository}:" in line  # the image (either llama tag) is named
    assert "pull token" in line and "HTTP 401" in line
    assert "rejected the NGC API key" not in line
    refused = [path for path, _ in registry.log if path.startswith(f"/v2/{LLAMA.repository}/")]
    assert len(refused) == 1  # a refusal is not retried
    assert not config.with_name("nim-gitops.lock.yaml").exists()


@pytest.mark.parametrize(("url", "message"), [
    ("http://registry.example.com", "clear text"),
    ("http://10.0.0.5:5000", "clear text"),
    ("https://nvcr.io:99999", "port"),
    ("https://nvcr.io:0", "port"),
    ("ftp://nvcr.io", "scheme"),
    ("https://", "host"),
    ("https://nvcr.io/?insecure=1", "query"),
    ("https://nvcr.io/#frag", "fragment"),
], ids=["http-remote-name", "http-remote-ip", "port-too-big", "port-zero", "scheme", "no-host",
        "query", "fragment"])
def test_unsafe_or_invalid_registry_urls_are_usage_errors(
        airgap_config: dict[str, Any], write_config: Write, url: str, message: str) -> None:
    config = _config(airgap_config, write_config)
    result = _lock(config, url)
    assert result.code == 2, result
    line = _one_line(result.err)
    assert "--registry-url" in line and message in line
    assert "--ngc-url" not in line
    assert not config.with_name("nim-gitops.lock.yaml").exists()


def test_userinfo_in_the_registry_url_is_refused_before_the_key_is_sent(
        airgap_config: dict[str, Any], write_config: Write, registry: Registry,
        registry_url: str) -> None:
    config = _config(airgap_config, write_config)
    result = _lock(config, registry_url.replace("http://", "http://user:s3cret-pw@"))
    assert result.code == 2, result
    line = _one_line(result.err)
    assert "--registry-url" in line and "s3cret-pw" not in line
    assert registry.log == []


def test_http_to_localhost_with_a_trailing_slash_passes_the_check(
        airgap_config: dict[str, Any], write_config: Write, registry: Registry,
        registry_url: str) -> None:
    config = _config(airgap_config, write_config)
    port = registry_url.rsplit(":", 1)[1]
    assert _lock(config, f"http://localhost:{port}/").code == 0
    assert registry.count(TOKEN) == 3


@pytest.mark.parametrize(("env", "names"), [
    ({"HTTPS_PROXY": "foo://user:proxy-pw@127.0.0.1:3128"}, "$HTTPS_PROXY"),
    ({"http_proxy": "http://user:proxy-pw@127.0.0.1:99999"}, "$http_proxy"),
])
def test_a_bad_proxy_setting_is_a_usage_error_before_any_request(
        airgap_config: dict[str, Any], write_config: Write, registry: Registry,
        registry_url: str, env: dict[str, str], names: str) -> None:
    config = _config(airgap_config, write_config)
    result = _lock(config, registry_url, env=env)
    assert result.code == 2, result
    line = _one_line(result.err)
    assert names in line and "proxy-pw" not in line
    assert registry.log == []
    assert not config.with_name("nim-gitops.lock.yaml").exists()


class _Redirect(BaseHTTPRequestHandler):
    """Sends every request on to the same path at `target`."""

    target = ""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Counting(BaseHTTPRequestHandler):
    """Answers 404 to everything and counts the requests it got."""

    seen: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _serve(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def test_a_redirect_to_https_checks_the_certificate(tmp_path: Path) -> None:
    """A plain-HTTP --registry-url may redirect to HTTPS: the key (sent with the token request)
    must not go to a TLS peer whose certificate nobody trusts."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    tls = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    tls.socket = context.wrap_socket(tls.socket, server_side=True)
    _Counting.seen = []
    _Redirect.target = f"https://127.0.0.1:{tls.server_address[1]}"
    plain = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threads = [_serve(tls), _serve(plain)]
    try:
        with pytest.raises(RemoteServiceError):
            _resolve(f"http://127.0.0.1:{plain.server_address[1]}", retries=0)
    finally:
        for server in (tls, plain):
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=5)
    assert _Counting.seen == []  # no request reached the untrusted TLS peer
