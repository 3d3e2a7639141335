"""Loopback doubles that misbehave on purpose, for the transport hardening tests.

`scripted(script)` runs an HTTP/1.1 server on 127.0.0.1 whose every GET is answered by
`script(handler)`; `answer` and `stream` are what scripts send with. `Recorder` is a TCP
listener standing for a proxy: it records what reaches it and answers with fixed bytes.
`gzip_bomb(n)` is a gzip body that decodes to `n` zero bytes.
"""

from __future__ import annotations

import functools
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from tests.helpers import served
from tests.ngc_server import write_answer

Script = Callable[[BaseHTTPRequestHandler], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        script: Script = self.server.script  # type: ignore[attr-defined]
        try:
            script(self)
        except (BrokenPipeError, ConnectionResetError):  # the client hung up: what we test
            self.close_connection = True

    do_POST = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # a client that hangs up mid-answer is the point of these tests


@contextmanager
def scripted(script: Script) -> Iterator[str]:
    """Serve `script` on a free loopback port; yield the base URL."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.script = script  # type: ignore[attr-defined]
    with served(server, poll=0.05) as url:
        yield url


def answer(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"",
           headers: dict[str, str] | None = None) -> None:
    """One whole answer with its Content-Length."""
    write_answer(handler, status, body, headers)


def stream(handler: BaseHTTPRequestHandler, headers: dict[str, str], total: int,
           sent: list[int], chunk: int = 1 << 16) -> None:
    """A 200 of `total` bytes in chunked encoding (no Content-Length), counting in `sent[0]`
    what went out before the client hung up."""
    handler.send_response(200)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    piece = b"{" * chunk
    while sent[0] < total:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        sent[0] += len(piece)
    handler.wfile.write(b"0\r\n\r\n")


@functools.cache
def gzip_bomb(decoded: int) -> bytes:
    """A gzip body that decodes to `decoded` zero bytes (about a thousandth of that sent)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(decoded >> 20)]
    return b"".join(parts) + packer.flush()


class Recorder:
    """A TCP listener on 127.0.0.1 that stands for a proxy: keeps the first bytes of every
    connection in `received` and answers `reply` (then closes)."""

    def __init__(self, reply: bytes = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
                 ) -> None:
        self.reply = reply
        self.received: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with client:
                client.settimeout(2)
                try:
                    self.received.append(client.recv(65536))
                    client.sendall(self.reply)
                except OSError:
                    pass

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._listener.close()


def proxy_env(proxy: str) -> dict[str, str]:
    """Every proxy variable (both cases) set to `proxy`, and no NO_PROXY exemption."""
    names = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")
    env = {name: proxy for name in names}
    env.update({name.lower(): proxy for name in names})
    env.update({"NO_PROXY": "", "no_proxy": ""})
    return env
