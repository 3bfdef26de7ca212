"""Faults between ATMO and the services it talks to, for the chaos harness and the tests.

* :class:`SlowProxy` forwards TCP (PostgreSQL) and can hold each message back
  for a while: a slow database.
* :class:`AnswerDroppingProxy` forwards HTTP (the local AWS emulator) and can let
  a request reach AWS but lose its answer: the connection closes before the
  response, as when a network drops it. When the emulator is down it closes the
  connection at once, as a refused connection would end the call.

Both listen on a free loopback port and forward to a fixed one, so the service
behind them can be restarted while the clients keep their address.
"""

from __future__ import annotations

import http.client
import logging
import select
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Proxy:
    """A threaded TCP server on a free loopback port that forwards to ``upstream_port``."""

    def __init__(self, upstream_port: int, handle: Callable[[socket.socket], None]) -> None:
        self.upstream_port = upstream_port
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                try:
                    handle(self.request)
                except OSError:
                    pass  # a client or the service went away: that connection ends
                finally:
                    proxy._forget(self.request)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread: threading.Thread | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="proxy", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            for sock in self._open:
                sock.close()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)


class SlowProxy(_Proxy):
    """A TCP proxy whose :attr:`delay` (seconds, 0 by default) holds back every message each way."""

    def __init__(self, upstream_port: int) -> None:
        super().__init__(upstream_port, self._pipe)
        self.delay = 0.0

    def _pipe(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        self._track(client)
        self._track(upstream)
        peers = {client: upstream, upstream: client}
        try:
            while True:
                readable, _, _ = select.select(list(peers), [], [], 1.0)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if self.delay:
                        time.sleep(self.delay)
                    peers[sock].sendall(data)
        finally:
            for sock in peers:
                self._forget(sock)
                sock.close()


class AnswerDroppingProxy(_Proxy):
    """An HTTP proxy that forwards each request and can lose the answers of some.

    :meth:`drop_answers` arms it: the next ``count`` requests whose ``X-Amz-Target``
    ends with ``operation`` (e.g. ``RunJobFlow``) reach the service, which acts on
    them, but their client gets no answer. :attr:`dropped` counts those.
    """

    def __init__(self, upstream_port: int) -> None:
        super().__init__(upstream_port, self._serve)
        self._armed: dict[str, int] = {}
        self.dropped = 0

    def drop_answers(self, operation: str, count: int = 1) -> None:
        with self._lock:
            self._armed[operation] = self._armed.get(operation, 0) + count

    def _should_drop(self, headers: dict[str, str]) -> bool:
        operation = headers.get("x-amz-target", "").rpartition(".")[2]
        with self._lock:
            if self._armed.get(operation, 0) <= 0:
                return False
            self._armed[operation] -= 1
            self.dropped += 1
            return True

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        reader = client.makefile("rb")
        try:
            request = _read_request(reader)
            if request is None:
                return
            method, path, headers, body = request
            try:
                status, reason, response_headers, response_body = self._forward(method, path, headers, body)
            except OSError:
                return  # the service is down: close, as a refused connection ends the call
            if self._should_drop(headers):
                logger.info("answer dropped", extra={"target": headers.get("x-amz-target")})
                return
            head = [f"HTTP/1.1 {status} {reason}"]
            head += [f"{name}: {value}" for name, value in response_headers if name.lower() not in _HOP]
            head += [f"Content-Length: {len(response_body)}", "Connection: close", "", ""]
            client.sendall("\r\n".join(head).encode("latin-1") + response_body)
        finally:
            reader.close()
            client.close()

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            connection.close()


#: Response headers the proxy sets itself.
_HOP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})


def _read_request(reader: Any) -> tuple[str, str, dict[str, str], bytes] | None:
    """One HTTP/1.1 request (method, path, lower-cased headers, body); None at end of stream."""
    line = reader.readline()
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", 0) or 0))
    headers.pop("connection", None)
    return method, path, headers, body
