"""Reading a socket with a bound on each silence, waking at every tick while nothing arrives.

transport.Budget bounds a whole call by one deadline. A stream cannot have one (a healthy
answer may last minutes), so after the head each read is bounded instead: no byte for
`idle` seconds ends it. The short `tick` lets the thread return to its caller while the
provider is silent, so a WSGI server gets the chance to notice that its client has left.
"""

import select
import socket
import ssl
from time import monotonic

CHUNK = 64 * 1024
_WOULD_BLOCK = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


class IdleTimeout(Exception):
    """No byte arrived for `idle` seconds."""


class IdleReader:
    """Reads `sock` without blocking on it: each read() returns, within about `tick` seconds,
    the bytes that arrived (b"" when none did), or None once the peer has closed.

    It raises IdleTimeout after `idle` seconds without a byte, and OSError when the
    connection breaks. restore() gives the socket back its blocking timeout, for reuse.
    """

    def __init__(self, sock: socket.socket, *, idle: float, tick: float):
        self.sock = sock
        self.idle = idle
        self.tick = tick
        self.last = monotonic()  # when the last byte arrived
        self._timeout = sock.gettimeout()
        sock.setblocking(False)
        self._poll = select.poll()  # poll, not select: descriptors past 1024 are common here
        self._poll.register(sock, select.POLLIN | select.POLLPRI)

    def read(self) -> bytes | None:
        wake = min(monotonic() + self.tick, self.last + self.idle)
        while True:
            data = self._recv()
            if data is None or data:
                return data
            now = monotonic()
            if now >= self.last + self.idle:
                raise IdleTimeout(f"no byte for {self.idle:g} seconds")
            if now >= wake:
                return b""
            self._poll.poll(max(1, int((wake - now) * 1000)))

    def _recv(self) -> bytes | None:
        """What the socket holds now: bytes, b"" (nothing yet), or None at the end."""
        try:
            data = self.sock.recv(CHUNK)
        except _WOULD_BLOCK:
            return b""
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            return None
        if not data:
            return None
        self.last = monotonic()
        return data

    def restore(self) -> None:
        """Stop polling, and give the socket back the timeout it had."""
        self._poll.unregister(self.sock)
        self.sock.settimeout(self._timeout)
