"""A raw HTTP/1.1 server on 127.0.0.1 that misbehaves on demand, for the upstream-fault tests."""

import json
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

MODELS = {
    "object": "list",
    "data": [{"id": "fault-model", "object": "model", "created": 1715367049, "owned_by": "fault"}],
}
IO_TIMEOUT = 5.0  # bounds every server-side read and write, whatever the client does
MAX_HEAD = 64 * 1024

# A behaviour writes one answer on the connection; it returns True to keep the connection open.
Behaviour = Callable[["FaultServer", socket.socket], bool]


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Status"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(status: int, body: bytes | dict | list, headers: dict | None = None) -> Behaviour:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()

    def behaviour(server, conn):
        fields = {"Content-Type": "application/json", "Content-Length": str(len(data))}
        conn.sendall(_head(status, {**fields, **(headers or {})}) + data)
        return True

    return behaviour


def ok() -> Behaviour:
    return answer(200, MODELS)


def failure(status: int, headers: dict | None = None) -> Behaviour:
    return answer(status, {"error": {"message": f"fault server says {status}"}}, headers)


def silent(server, conn) -> bool:
    """Read the request and never answer."""
    server.stopping.wait(IO_TIMEOUT)
    return False


def drip_body(server, conn) -> bool:
    """Headers at once, then one byte of the body every 200 ms."""
    conn.sendall(_head(200, {"Content-Type": "application/json", "Content-Length": "100"}))
    for _ in range(100):
        if server.stopping.wait(0.2):
            break
        conn.sendall(b" ")
    return False


def drip_headers(server, conn) -> bool:
    """The status line, then one byte of a header every 200 ms, never finishing the head."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    for _ in range(100):
        if server.stopping.wait(0.2):
            break
        conn.sendall(b"a")
    return False


def reset_mid_body(server, conn) -> bool:
    """Promise 1000 bytes, send 10, then reset the connection (RST, not a clean close)."""
    conn.sendall(_head(200, {"Content-Length": "1000"}) + b'{"data": [')
    server.stopping.wait(0.05)  # let the client start reading the body
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return False


def huge(*, declared: bool, size: int = 8 * 1024 * 1024) -> Behaviour:
    """A body of `size` bytes, with a Content-Length or ended by closing the connection."""

    def behaviour(server, conn):
        length = {"Content-Length": str(size)} if declared else {"Connection": "close"}
        conn.sendall(_head(200, {"Content-Type": "application/json", **length}))
        block = b" " * 65536
        for _ in range(size // len(block)):
            if server.stopping.is_set():
                break
            conn.sendall(block)  # raises once the client has stopped reading and closed
        return False

    return behaviour


def redirect(location: str) -> Behaviour:
    return answer(302, b"", {"Location": location})


class FaultServer:
    """Answers each request with the next queued behaviour, else with the standing one.

    Connections are kept alive after well-formed answers, as a real provider would.
    """

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.connections = 0
        self.stopping = threading.Event()
        self._standing: Behaviour = ok()
        self._queue: deque[Behaviour] = deque()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def always(self, behaviour: Behaviour) -> None:
        with self._lock:
            self._standing = behaviour
            self._queue.clear()

    def queue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def refuse(self) -> None:
        """Stop listening and drop every open connection: new connects are refused."""
        self.listener.close()
        self._drop_connections()

    def start(self) -> None:
        self._spawn(self._accept_loop)

    def stop(self) -> None:
        self.stopping.set()
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept loop at once
        self.listener.close()
        self._drop_connections()
        for thread in list(self._threads):
            thread.join(timeout=IO_TIMEOUT)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _drop_connections(self) -> None:
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _accept_loop(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:  # the listener was closed
                return
            conn.settimeout(IO_TIMEOUT)
            with self._lock:
                self._conns.add(conn)
                self.connections += 1
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            for _ in range(100):
                if not self._read_request(conn):
                    return
                with self._lock:
                    behaviour = self._queue.popleft() if self._queue else self._standing
                try:
                    if not behaviour(self, conn):
                        return
                except OSError:  # the client gave up; that is its right
                    return

    def _read_request(self, conn: socket.socket) -> bool:
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < MAX_HEAD:
                chunk = conn.recv(4096)
                if not chunk:
                    return False
                data += chunk
        except OSError:
            return False
        request_line, *lines = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        pairs = (line.split(": ", 1) for line in lines if ": " in line)
        headers = {name.lower(): value for name, value in pairs}
        with self._lock:
            self.requests.append((request_line.split(" ")[1], headers))
        return True


@contextmanager
def serve() -> Iterator[FaultServer]:
    server = FaultServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]
