"""A loopback NGC API for tests: catalog pages, key validation and per-model repo endpoints.

Data comes from model documents (the contract's fields plus NGC's extra fields), built from
the recorded 186-model snapshot or from any list of entries. Faults are scripted per path:
status codes (with or without Retry-After), slow or trickling answers, connection resets
mid-body, malformed or truncated JSON, replacement bodies; each with `after` (let N through
first) and `times` (then fault N requests). Every answer can be held for a latency plus a
seeded random jitter. Each request is recorded (`requests`) with when it arrived and when
its answer went out, and `Seen.carries` says whether it carried a key. New endpoints can be
added with `route()`.
`write_fault` answers a fault; the registry double (tests/airgap/registry_server.py) uses it
too.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from generator import yamlio
from tests.helpers import EU_LIST, FAKE_KEY, FIXTURES, SNAPSHOT

RECORDED = FIXTURES / "ngc"
CONTRACT = ("name", "displayName", "shortDescription", "namespace", "tags", "latestTag",
            "updatedDate")


FAULT_KINDS = ("status", "slow", "reset", "malformed", "truncated", "body", "trickle", "action")


@dataclass
class Fault:
    """One scripted misbehaviour for requests whose path (with query) matches a pattern.

    kind: `status` (answer `status`, optional Retry-After), `slow` (sleep `delay` first),
    `reset` (cut the connection mid-body), `malformed` (200 with non-JSON), `truncated`
    (200 with the real JSON cut in half), `body` (200 with `body` as JSON), `trickle` (a 200
    whose 1,000-byte body comes one byte every `delay` seconds, so no single read times out,
    only a deadline on the whole request ends it), `action` (call `action(server)` first,
    then answer normally: the catalog changes under the client; NgcServer only). Any other
    kind is a ValueError. With `per_path`, `after` and `times` count each distinct path on its
    own (every model gets the same burst), otherwise all matching requests together.
    """

    kind: str = "status"
    status: int = 503
    times: int | None = None
    after: int = 0
    retry_after: str | None = None
    delay: float = 0.0
    body: Any = None
    action: Callable[[NgcServer], None] | None = None
    per_path: bool = False
    seen: int = 0
    fired: int = 0
    _by_path: dict[str, list[int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (one of {', '.join(FAULT_KINDS)})")

    def take(self, path: str = "") -> bool:
        """Count a matching request; True when this one gets the fault."""
        self.seen += 1
        counts = self._by_path.setdefault(path if self.per_path else "", [0, 0])
        counts[0] += 1
        if counts[0] <= self.after:
            return False
        if self.times is not None and counts[1] >= self.times:
            return False
        counts[1] += 1
        self.fired += 1
        return True


@dataclass
class Answer:
    """What a route answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Answer:
        return cls(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


def write_answer(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"",
                 headers: Mapping[str, str] | None = None) -> None:
    """Send one whole answer with its Content-Length."""
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


JSON = {"Content-Type": "application/json"}


def write_fault(handler: BaseHTTPRequestHandler, fault: Fault,
                real: Callable[[], bytes]) -> bool:
    """Answer with `fault` and say True, or (kinds `slow`, after its sleep, and `action`)
    say False: the caller answers normally. `real()` is the normal answer's body, which
    `truncated` and `reset` cut."""
    kind = fault.kind
    if kind == "slow":
        time.sleep(fault.delay)
        return False
    if kind == "action":
        return False
    if kind == "status":
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        body = b"" if fault.status == 451 else b'{"error": "injected"}'
        write_answer(handler, fault.status, body, headers)
    elif kind == "body":
        write_answer(handler, 200, json.dumps(fault.body).encode(), JSON)
    elif kind == "malformed":
        write_answer(handler, 200, b"<html>Gateway error</html>", JSON)
    elif kind == "truncated":
        body = real()
        write_answer(handler, 200, body[: len(body) // 2], JSON)
    elif kind == "reset":
        _cut(handler, real())
    else:
        _trickle(handler, fault.delay)
    return True


def _cut(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    """Half of `body` under a Content-Length promising more, then a TCP reset."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body) + 100))
    handler.end_headers()
    handler.wfile.write(body[: len(body) // 2])
    handler.wfile.flush()
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True


def _trickle(handler: BaseHTTPRequestHandler, delay: float) -> None:
    """A 200 of 1,000 spaces, one every `delay` seconds, until the client hangs up."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    try:
        for _ in range(1000):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(delay)
    except OSError:  # the client gave up: what the fault is for
        handler.close_connection = True


@dataclass
class Seen:
    """One request the server received: `at` is when it arrived (`time.monotonic`, body
    read), `answered_at` when its answer began to go out (0 until then), so that the order
    of requests and answers can be checked."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    at: float = 0.0
    answered_at: float = 0.0

    def carries(self, secret: str) -> bool:
        """Whether `secret` (a key) is anywhere in the request: path, a header or the body."""
        return (secret in self.path or secret.encode() in self.body
                or any(secret in value for value in self.headers.values()))


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # a deep listen backlog: bursts of concurrent connections
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (a cancelled run) is not the server's error."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


Route = Callable[["NgcServer", "re.Match[str]", Seen], Answer]


def repo_doc(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An NGC repo answer for a contract entry: the contract fields plus NGC's extras."""
    doc = {k: entry[k] for k in CONTRACT}
    doc.update({
        "description": f"# {entry['displayName']}\n\nLong markdown description.",
        "labels": ["NVIDIA NIM"],
    })
    doc.update(extended_fields(entry))
    return doc


def extended_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The extended fields of a repo answer, as recorded with the product's own key
    (../shared/fixtures/ngc/model_tags.json has the same shape): derived from the model's name
    so every run serves the same values, and the 186 models differ from each other."""
    name, tag = entry["name"], entry["latestTag"]
    seed = hashlib.sha256(name.encode()).digest()
    public = seed[0] % 3 != 0  # two in three models are public
    size = 2_000_000_000 + int.from_bytes(seed[1:5], "big") % 30_000_000_000
    arches = ("amd64", "arm64") if seed[5] % 2 else ("amd64",)
    return {
        "accessType": "LISTED",
        "isPublic": public,
        "canGuestPull": public,
        "canPublicList": True,
        "hasSignedTag": seed[6] % 4 != 0,
        "latestImageSize": size,
        "latestArchitectureVariants": [
            {"architecture": arch, "os": "linux", "compressedSize": size - i * 1_000_000,
             "digest": "sha256:" + hashlib.sha256(f"{name}:{tag}/{arch}".encode()).hexdigest()}
            for i, arch in enumerate(arches)],
        "isMultinodeEnabled": seed[7] % 5 == 0,
    }


def snapshot_docs() -> list[dict[str, Any]]:
    """The 186 snapshot entries (with their euRestricted flag), in file order."""
    cm = yamlio.load_one(SNAPSHOT.read_text("utf-8"), str(SNAPSHOT))
    return [json.loads(v) for v in cm["data"].values()]


def eu_resource_ids() -> set[str]:
    """The resource ids of the recorded EU list."""
    return {item["resourceId"] for item in json.loads(EU_LIST.read_text("utf-8"))}


class NgcServer:
    """The test double: `with NgcServer.from_snapshot() as ngc: ... ngc.base_url ...`."""

    def __init__(self, entries: Iterable[Mapping[str, Any]] = (), *, page_size: int | None = None,
                 eu: bool = False, eu_restricted: Iterable[str] = (), latency: float = 0.0,
                 jitter: float = 0.0, seed: int = 0, keys: Iterable[str] = (FAKE_KEY,),
                 scored: int = 2) -> None:
        self.page_size = page_size
        self.eu = eu
        self.eu_restricted = set(eu_restricted)
        self.latency = latency
        self.jitter = jitter
        self.random = random.Random(seed)
        self.keys = set(keys)
        self.scored = scored
        self.lock = threading.Lock()
        self.requests: list[Seen] = []
        self.faults: list[tuple[re.Pattern[str], Fault]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.caller_info = json.loads((RECORDED / "key_validation.json").read_text("utf-8"))
        self.routes: list[tuple[str, re.Pattern[str], Route]] = []
        self.docs: dict[str, dict[str, Any]] = {}
        self.resources: list[dict[str, Any]] = []
        self.set_entries(entries)
        self.route("GET", r"/v2/search/catalog/resources/CONTAINER", _catalog)
        self.route("POST", r"/v3/keys/get-caller-info", _caller)
        self.route("GET", r"/v2/org/([^/]+)/team/([^/]+)/repos/([^/?]+)", _repo)
        self.route("GET", r"/v2/org/([^/]+)/repos/([^/?]+)", _repo)
        self._httpd: ThreadingHTTPServer | None = None

    @classmethod
    def from_snapshot(cls, **kwargs: Any) -> NgcServer:
        """Every model of the recorded snapshot; `eu=True` answers 451 for the EU list."""
        kwargs.setdefault("eu_restricted", eu_resource_ids())
        return cls(snapshot_docs(), **kwargs)

    # data -------------------------------------------------------------------------------
    def set_entries(self, entries: Iterable[Mapping[str, Any]]) -> None:
        """Replace the catalog with these contract entries (repo docs built from them)."""
        with self.lock:
            self.docs, self.resources = {}, []
        for entry in entries:
            self.add_model(repo_doc(entry))

    def add_model(self, doc: dict[str, Any], *, latest_tag: bool = True,
                  position: int | None = None) -> str:
        """Add a repo document and its catalog resource (at the end, or at `position` of
        the catalog order); returns its resource id."""
        rid = f"{doc['namespace']}/{doc['name']}"
        parts = rid.split("/")
        attributes = [{"key": "size", "value": "1000"}]
        if latest_tag:
            attributes.insert(0, {"key": "latestTag", "value": doc.get("latestTag", "")})
        resource = {"orgName": parts[0], "teamName": parts[1] if len(parts) == 3 else None,
                    "resourceId": rid, "name": doc["name"],
                    "displayName": doc.get("displayName", doc["name"]),
                    "resourceType": "CONTAINER", "attributes": attributes,
                    "description": doc.get("shortDescription", "")}
        with self.lock:
            self.docs[rid] = doc
            if position is None:
                self.resources.append(resource)
            else:
                self.resources.insert(position, resource)
        return rid

    def remove_model(self, rid: str, *, from_catalog: bool = False) -> None:
        """The repo endpoint of `rid` answers 404 from now on; it stays in the catalog
        unless `from_catalog`."""
        with self.lock:
            self.docs.pop(rid, None)
            if from_catalog:
                self.resources = [r for r in self.resources if r["resourceId"] != rid]

    # knobs ------------------------------------------------------------------------------
    def fault(self, pattern: str, fault: Fault | None = None, **kwargs: Any) -> Fault:
        """Script a fault for paths matching the regex `pattern` (searched, URL-decoded)."""
        fault = fault or Fault(**kwargs)
        with self.lock:
            self.faults.append((re.compile(pattern), fault))
        return fault

    def route(self, method: str, pattern: str, handler: Route) -> None:
        """Serve `method` requests whose path fully matches `pattern` with `handler`."""
        self.routes.insert(0, (method, re.compile(pattern), handler))

    def count(self, pattern: str = "") -> int:
        """How many requests so far had a path (with query) matching `pattern`."""
        regex = re.compile(pattern)
        with self.lock:
            return sum(1 for r in self.requests if regex.search(r.path))

    def delay(self) -> float:
        """Seconds to hold the next answer: `latency`, plus up to `jitter` more drawn from
        the seeded generator (answers then arrive in an order that differs from run to
        run, and from the order of the requests)."""
        if not self.jitter:
            return self.latency
        with self.lock:
            return self.latency + self.random.uniform(0, self.jitter)

    # lifecycle --------------------------------------------------------------------------
    def start(self) -> NgcServer:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.ngc = self  # type: ignore[attr-defined]
        threading.Thread(target=httpd.serve_forever, name="ngc-server", daemon=True).start()
        self._httpd = httpd
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> NgcServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # request handling -------------------------------------------------------------------
    def _fault_for(self, path: str) -> Fault | None:
        with self.lock:
            for regex, fault in self.faults:
                if regex.search(path) and fault.take(urlsplit(path).path):
                    return fault
        return None

    def answer(self, seen: Seen) -> Answer:
        """Route a request to its handler (404 when none matches)."""
        bare = urlsplit(seen.path).path
        for method, regex, handler in self.routes:
            match = regex.fullmatch(bare)
            if match and method == seen.method:
                return handler(self, match, seen)
        return Answer.json({"error": "no such endpoint"}, 404)

    def authorised(self, seen: Seen) -> bool:
        auth = seen.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[len("Bearer "):] in self.keys


def _catalog(server: NgcServer, match: re.Match[str], seen: Seen) -> Answer:
    query = parse_qs(urlsplit(seen.path).query)
    q = json.loads(query.get("q", ["{}"])[0])
    page = int(q.get("page", 0))
    size = server.page_size or int(q.get("pageSize", 25))
    with server.lock:
        resources = list(server.resources)
    pages = -(-len(resources) // size)
    chunk = resources[page * size:(page + 1) * size]
    return Answer.json({
        "resultTotal": len(resources), "resultPageTotal": pages,
        "params": {"page": page, "pageSize": size, "query": q.get("query", "")},
        "results": [
            {"groupValue": "_scored", "totalCount": server.scored,
             "resources": resources[:server.scored]},
            {"groupValue": "CONTAINER", "totalCount": len(resources), "resources": chunk},
        ],
    })


def _caller(server: NgcServer, match: re.Match[str], seen: Seen) -> Answer:
    form = parse_qs(seen.body.decode("utf-8", "replace"))
    ok = (server.authorised(seen) and form.get("credentials", [""])[0] in server.keys
          and seen.headers.get("Content-Type") == "application/x-www-form-urlencoded")
    if not ok:
        return Answer.json({"requestStatus": {"statusCode": "UNAUTHORIZED"}}, 401)
    return Answer.json(server.caller_info)


def _repo(server: NgcServer, match: re.Match[str], seen: Seen) -> Answer:
    if not server.authorised(seen):
        return Answer.json({"requestStatus": {"statusCode": "UNAUTHORIZED"}}, 401)
    rid = "/".join(match.groups())
    if server.eu and rid in server.eu_restricted:
        return Answer(451)
    with server.lock:
        doc = server.docs.get(rid)
    if doc is None:
        return Answer.json({"requestStatus": {"statusCode": "NOT_FOUND"}}, 404)
    return Answer.json(doc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without this, Nagle's algorithm and
        # delayed ACKs add ~40 ms to every answer
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, answer: Answer) -> None:
        write_answer(self, answer.status, answer.body, answer.headers)

    def _handle(self) -> None:
        ngc: NgcServer = self.server.ngc  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        seen = Seen(self.command, unquote(self.path), dict(self.headers.items()),
                    self.rfile.read(length) if length else b"", time.monotonic())
        with ngc.lock:
            ngc.requests.append(seen)
            ngc.in_flight += 1
            ngc.max_in_flight = max(ngc.max_in_flight, ngc.in_flight)
        try:
            delay = ngc.delay()
            if delay:
                time.sleep(delay)
            fault = ngc._fault_for(seen.path)
            if fault is not None:
                if fault.kind not in ("slow", "action"):
                    seen.answered_at = time.monotonic()
                if write_fault(self, fault, lambda: ngc.answer(seen).body):
                    return
                if fault.kind == "action" and fault.action is not None:
                    fault.action(ngc)
            answer = ngc.answer(seen)
            seen.answered_at = time.monotonic()
            self._send(answer)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with ngc.lock:
                ngc.in_flight -= 1

    do_GET = _handle
    do_POST = _handle
