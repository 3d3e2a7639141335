"""A loopback stand-in for the nvcr.io registry API: `/proxy_auth` and manifest requests.

Real HTTP on 127.0.0.1 (port 0), one thread. It checks what nvcr.io checks: basic auth
`$oauthtoken:<key>` for a token scoped to one repository, then that bearer token and an
`Accept` header for the manifest; a repository in `denied` gets a token that its manifests
refuse, as nvcr.io treats a key without access. Faults: `faults[path]` is a scripted
`tests.ngc_server.Fault`, answered by `tests.ngc_server.write_fault` like NGC's double
(`action` faults are refused).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.helpers import served
from tests.ngc_server import Fault, write_answer, write_fault

INDEX = "application/vnd.oci.image.index.v1+json"
LIST = "application/vnd.docker.distribution.manifest.list.v2+json"


@dataclass
class Registry:
    """The registry's state: the valid key, manifests by (repo, tag), repositories the key
    may not pull, faults, a request log."""

    key: str
    manifests: dict[tuple[str, str], tuple[str, bytes]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    faults: dict[str, Fault] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)
    send_digest_header: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, repo: str, tag: str, media_type: str = INDEX) -> str:
        """Publish a manifest and return its digest."""
        body = json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": [],
                           "repo": repo, "tag": tag}).encode()
        self.manifests[(repo, tag)] = (media_type, body)
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def count(self, path: str) -> int:
        """Requests received for `path`."""
        with self.lock:
            return sum(1 for seen, _ in self.log if seen == path)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def _send(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        write_answer(self, code, body, headers)

    def do_GET(self) -> None:
        reg = self.server.registry
        url = urlsplit(self.path)
        with reg.lock:
            reg.log.append((url.path, self.headers.get("Authorization", "")))
            fault = reg.faults.get(url.path)
            faulty = fault is not None and fault.take(url.path)
        if fault is not None and faulty:
            _no_action(fault)
            if write_fault(self, fault, lambda: b'{"token": "cut short before its end"}'):
                return
        if url.path == "/proxy_auth":
            self._token(parse_qs(url.query))
        elif url.path.startswith("/v2/") and "/manifests/" in url.path:
            repo, _, tag = url.path[len("/v2/"):].rpartition("/manifests/")
            self._manifest(repo, tag)
        else:
            self._send(404)

    def _token(self, query: dict[str, list[str]]) -> None:
        reg = self.server.registry
        expected = base64.b64encode(f"$oauthtoken:{reg.key}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            return
        scope = query.get("scope", [""])[0]
        if query.get("account") != ["$oauthtoken"] or not scope.startswith("repository:") \
                or not scope.endswith(":pull"):
            self._send(400)
            return
        token = secrets.token_hex(8)
        with reg.lock:
            reg.tokens[token] = scope[len("repository:"):-len(":pull")]
        self._send(200, json.dumps({"token": token, "expires_in": 300}).encode(),
                   {"Content-Type": "application/json"})

    def _manifest(self, repo: str, tag: str) -> None:
        reg = self.server.registry
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or reg.tokens.get(auth[len("Bearer "):]) != repo \
                or repo in reg.denied:
            self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            return
        found = reg.manifests.get((repo, tag))
        if found is None:
            self._send(404)
            return
        media_type, body = found
        if media_type not in self.headers.get("Accept", ""):
            self._send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
            return
        headers = {"Content-Type": media_type}
        if reg.send_digest_header:
            headers["Docker-Content-Digest"] = "sha256:" + hashlib.sha256(body).hexdigest()
        self._send(200, body, headers)


def _no_action(fault: Fault) -> None:
    if fault.kind == "action":  # raised in the server's thread: the request fails
        raise ValueError("the registry double runs no `action` faults")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, registry: Registry) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.registry = registry


@contextmanager
def serve(registry: Registry) -> Iterator[str]:
    """Run the registry on a free loopback port; yield its base URL."""
    with served(_Server(registry)) as url:
        yield url
