"""A scripted HTTP/1.1 server on 127.0.0.1 for streamed answers, recording what clients do.

Each request is answered by the handler the test set: it writes the head and the chunks when
it likes (holding on a gate the test opens) and can wait for the client to close, so a test
can see a chunk arrive while the server still holds the rest, and when the socket closed.
"""

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

IO_TIMEOUT = 5.0


class Exchange:
    """One request on one connection, as the handler sees it."""

    def __init__(self, server: "StreamServer", conn: socket.socket, head: bytes, body: bytes):
        self.server = server
        self.conn = conn
        self.head = head
        self.body = body
        self.chunked = True

    def send_head(self, status=200, headers=None, *, chunked=True, more: bytes = b"") -> None:
        self.chunked = chunked
        fields = {"Content-Type": "text/event-stream", **(headers or {})}
        if chunked:
            fields["Transfer-Encoding"] = "chunked"
        lines = [f"HTTP/1.1 {status} Status"] + [f"{k}: {v}" for k, v in fields.items()]
        self.conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + self._framed(more))

    def send(self, data: bytes) -> None:
        self.conn.sendall(self._framed(data))
        self.server.sent.append((time.monotonic(), data))

    def end(self) -> None:
        # Stamped before the last bytes go: once they are sent the client may look at it.
        self.server.ended_at = time.monotonic()
        if self.chunked:
            self.conn.sendall(b"0\r\n\r\n")

    def answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_head(status, {"Content-Type": "application/json"}, chunked=False)
        self.conn.sendall(data)

    def hold(self, gate: threading.Event) -> None:
        gate.wait(IO_TIMEOUT)

    def wait_for_close(self, timeout: float = IO_TIMEOUT) -> None:
        """Block until the client closes its end; record when."""
        self.conn.settimeout(timeout)
        with suppress(OSError):
            while self.conn.recv(4096):
                pass
        self.server.client_closed_at.append(time.monotonic())

    def _framed(self, data: bytes) -> bytes:
        if not data or not self.chunked:
            return data
        return f"{len(data):x}\r\n".encode() + data + b"\r\n"


Handler = Callable[[Exchange], bool | None]  # True keeps the connection for another request


class StreamServer:
    def __init__(self, handler: Handler):
        self.handler = handler
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[Exchange] = []
        self.connections = 0
        self.sent: list[tuple[float, bytes]] = []
        self.ended_at: float | None = None
        self.client_closed_at: list[float] = []
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._stopping = False

    def start(self) -> None:
        self._spawn(self._accept)

    def stop(self) -> None:
        self._stopping = True
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for conn in self._conns:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(IO_TIMEOUT)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            conn.settimeout(IO_TIMEOUT)
            self.connections += 1
            self._conns.append(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            while True:
                exchange = self._read(conn)
                if exchange is None:
                    return
                self.requests.append(exchange)
                try:
                    if not self.handler(exchange):
                        return
                except OSError:  # the client went away
                    self.client_closed_at.append(time.monotonic())
                    return

    def _read(self, conn: socket.socket) -> Exchange | None:
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return None
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(body) < length:
                body += conn.recv(65536)
        except OSError:
            return None
        return Exchange(self, conn, head, body)


@contextmanager
def serve(handler: Handler) -> Iterator[StreamServer]:
    server = StreamServer(handler)
    server.start()
    try:
        yield server
    finally:
        server.stop()
