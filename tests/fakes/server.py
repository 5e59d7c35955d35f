"""The threaded HTTP/1.1 server on 127.0.0.1 that every provider fake builds on.

    with FakeAnthropic(api_key="k") as fake:     # listens on a free port until the block ends
        fake.queue(Reply.json(200, {...}))        # answers, in order; then the fake's default
        requests.post(fake.url + "/v1/messages", json=body, headers=...)
        fake.requests[-1].json()                  # every request it got, recorded

A subclass checks what it receives in `check` (raise Refused for a wrong request: the client
gets the provider's own error shape from `error`, and queued replies stay queued) and gives
its default answer in `default`.
"""

import json
import select
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


class Refused(Exception):
    """The request breaks the provider's rules: answered with `status` and `message`."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Recorded:
    method: str
    path: str  # percent-decoded
    raw_path: str  # as sent, for signature checks
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    """One answer: status, headers, and the body as pieces each written and flushed on its own.

    A streamed reply (`stream=True`) is sent chunked. `reset` resets the connection after the
    pieces instead of ending the body; `stall` waits that many seconds (or until stop) first.
    `delay` waits that long before the head (a model generating a whole answer); `interval`
    between two pieces (a drip). While it waits, a client that closes is noticed: its time
    goes in FakeServer.closed and nothing more is sent.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    parts: list[bytes] = field(default_factory=list)
    stream: bool = False
    reset: bool = False
    stall: float = 0.0
    delay: float = 0.0
    interval: float = 0.0

    @classmethod
    def json(cls, status: int, body, headers: dict | None = None) -> "Reply":
        fields = {"Content-Type": "application/json", **(headers or {})}
        return cls(status, fields, [json.dumps(body).encode()])

    @classmethod
    def streamed(cls, parts: list[bytes], content_type: str, **faults) -> "Reply":
        return cls(200, {"Content-Type": content_type}, list(parts), stream=True, **faults)


class FakeServer:
    """Records requests, refuses wrong ones, answers queued replies then the default."""

    def __init__(self):
        self.requests: list[Recorded] = []
        self.replies: deque[Reply] = deque()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server: ThreadingHTTPServer | None = None
        self.closed: list[float] = []  # monotonic times at which a client left mid-answer

    # -- what a subclass provides

    def check(self, request: Recorded) -> None:
        """Raise Refused when the request is not what the provider accepts."""

    def default(self, request: Recorded) -> Reply:
        return Reply.json(404, {"message": f"no route {request.path}"})

    def error(self, status: int, message: str) -> Reply:
        return Reply.json(status, {"message": message})

    # -- the API tests use

    @property
    def url(self) -> str:
        assert self.server, "start the fake first"
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def queue(self, *replies: Reply) -> None:
        with self.lock:
            self.replies.extend(replies)

    def start(self) -> "FakeServer":
        self.server = _Server(("127.0.0.1", 0), _handler(self))
        serve = self.server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def answer(self, request: Recorded) -> Reply:
        with self.lock:
            self.requests.append(request)
        try:
            self.check(request)
        except Refused as refused:
            return self.error(refused.status, refused.message)
        with self.lock:
            queued = self.replies.popleft() if self.replies else None
        return queued or self.default(request)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def _handler(fake: FakeServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        timeout = 10  # a stuck client cannot hold a thread for ever

        def do_POST(self):  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            size = int(self.headers.get("Content-Length") or 0)
            request = Recorded(
                method=self.command,
                path=unquote(parts.path),
                raw_path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(size),
            )
            self.send(fake.answer(request))

        do_GET = do_POST  # noqa: N815

        def send(self, reply: Reply):
            if reply.delay and self.client_left(reply.delay):
                return
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if not reply.stream:
                body = b"".join(reply.parts)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for number, part in enumerate(reply.parts):
                if number and reply.interval and self.client_left(reply.interval):
                    return
                try:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.flush()
                except OSError:
                    fake.closed.append(time.monotonic())
                    self.close_connection = True
                    return
            if reply.stall:
                fake.stopping.wait(reply.stall)
            if reply.reset:
                # SO_LINGER 0: close() sends a TCP reset, as a dropped upstream would.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True
                return
            self.wfile.write(b"0\r\n\r\n")

        def client_left(self, seconds: float) -> bool:
            """Wait `seconds` (or until stop); True, recorded, if the client closed meanwhile."""
            until = time.monotonic() + seconds
            while (left := until - time.monotonic()) > 0 and not fake.stopping.is_set():
                readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
                if not readable:
                    continue
                if not _peek(self.connection):
                    fake.closed.append(time.monotonic())
                    self.close_connection = True
                    return True
                time.sleep(min(left, 0.05))  # a pipelined request waits its turn
            return False

        def log_message(self, *args):
            pass

    return Handler


def _peek(conn: socket.socket) -> bytes:
    """A byte the client sent (kept for the next read), or b"" when it has closed."""
    try:
        return conn.recv(1, socket.MSG_PEEK)
    except OSError:
        return b""


def vector(text: str, size: int = 4) -> list[float]:
    """A fixed embedding per text for the fakes to answer, so tests can tell them apart."""
    return [float(len(text) + i) for i in range(size)]


def sse(events, *, named: bool = True, newline: str = "\n") -> list[bytes]:
    """Server-sent events, one piece each: `event:` lines when `named`, JSON data."""
    pieces = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        head = f"event: {name}{newline}" if named else ""
        pieces.append(f"{head}data: {text}{newline}{newline}".encode())
    return pieces


def decode_sse(lines) -> list[tuple[str, object]]:
    """(event, JSON data) per event of an SSE body given as lines (as requests.iter_lines)."""
    found, name, data = [], "", []
    for raw in list(lines) + [""]:
        line = raw.decode() if isinstance(raw, bytes) else raw
        line = line.rstrip("\r")
        if not line:
            if data:
                text = "\n".join(data)
                found.append((name, text if text == "[DONE]" else json.loads(text)))
            name, data = "", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    return found
