"""Connections behind outbound.adapter: connects obey the egress policy, reads obey a deadline."""

import heapq
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from time import monotonic

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from models_api.outbound import egress, heads

_local = threading.local()  # the Budget of the call this thread is making, if any


def connect(host, port, *, policy, timeout, source_address=None, socket_options=None):
    """urllib3.util.connection.create_connection, connecting only to addresses the policy allows."""
    error: OSError | None = None
    for family, kind, proto, _, peer in egress.resolve(host, port, policy):
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(_connect_timeout(timeout))
            if source_address:
                sock.bind(source_address)
            sock.connect(peer)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"no address found for {host}")


def _connect_timeout(timeout) -> float | None:
    """urllib3's connect timeout, cut to what is left of the call's deadline.

    Each address of a name gets its own attempt, so without the cut a name with several
    unreachable addresses would take several connect timeouts.
    """
    budget = getattr(_local, "budget", None)
    if not (timeout is None or isinstance(timeout, int | float)):  # urllib3's "default" token
        timeout = socket.getdefaulttimeout()
    if budget is None:
        return timeout
    remaining = budget.until - monotonic()
    if remaining <= 0:
        raise TimeoutError("the call's deadline passed while connecting")
    return remaining if timeout is None else min(timeout, remaining)


class _Guarded:
    """Mixed into urllib3's connections: connect through the policy, read under the deadline."""

    policy: egress.Policy
    response_class = heads.Response  # http.client's, reading heads without email.parser

    def _new_conn(self) -> socket.socket:
        # Mirrors urllib3's own _new_conn so requests sees the exceptions it expects.
        try:
            return connect(
                self._dns_host,
                self.port,
                policy=self.policy,
                timeout=self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc

    def getresponse(self):
        _watch(self.sock)
        return super().getresponse()


class _ReleasingPool:
    def _put_conn(self, conn):
        # A connection back in the pool belongs to no call, so no call's deadline may cut it.
        if conn is not None and conn.sock is not None:
            _unwatch(conn.sock)
        super()._put_conn(conn)


@cache
def _pool_classes(policy: egress.Policy) -> dict[str, type]:
    def pool(base_pool, base_conn):
        conn = type(f"Guarded{base_conn.__name__}", (_Guarded, base_conn), {"policy": policy})
        return type(
            f"Guarded{base_pool.__name__}", (_ReleasingPool, base_pool), {"ConnectionCls": conn}
        )

    return {
        "http": pool(HTTPConnectionPool, HTTPConnection),
        "https": pool(HTTPSConnectionPool, HTTPSConnection),
    }


class Budget:
    """One call's deadline: at `until` (monotonic), the sockets it is reading are shut down.

    Socket timeouts bound each read, not their sum, so a server dripping a byte at a time
    would otherwise hold a worker far past GATEWAY_UPSTREAM_TIMEOUT. With `idle` set, `until`
    bounds connecting only, and reading is bounded by `idle` seconds of silence at a time
    (the socket's read timeout): a model's answer may take minutes to generate.
    """

    def __init__(self, until: float, *, idle: float | None = None):
        self.until = until
        self.idle = idle
        self.expired = False
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._scheduled = False
        self._closed = False

    def watch(self, sock: socket.socket) -> None:
        if self.idle is not None:
            return  # reads are bounded by the socket's idle timeout instead
        with self._lock:
            if self._closed:
                return
            if self.expired:
                _shut(sock)
                return
            self._sockets.add(sock)
            schedule = not self._scheduled
            self._scheduled = True
        if schedule:
            _watchdog.schedule(self)

    @property
    def closed(self) -> bool:
        return self._closed  # a bool read needs no lock; at worst the watchdog looks again

    def unwatch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._sockets.clear()

    def _expire(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.expired = True
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _shut(sock)


class _Watchdog:
    """One thread for every budget in the process, instead of a timer thread per call.

    Closed budgets are not removed from the middle of the heap; whenever the thread wakes it
    drops the closed ones at the top, and it sleeps until the earliest budget still open. So
    it wakes about once per timeout, not once per call: under load a wake-up per call would
    take the GIL for each.
    """

    def __init__(self):
        self._heap: list[tuple[float, int, Budget]] = []
        self._wakeup = threading.Condition()
        self._thread: threading.Thread | None = None
        self._count = 0

    def schedule(self, budget: Budget) -> None:
        with self._wakeup:
            self._count += 1
            heapq.heappush(self._heap, (budget.until, self._count, budget))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="upstream-deadlines")
                self._thread.daemon = True
                self._thread.start()
            elif self._heap[0][2] is budget:
                self._wakeup.notify()

    def _run(self) -> None:
        while True:
            with self._wakeup:
                while self._heap and self._heap[0][2].closed:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wakeup.wait()
                    continue
                until, _, budget = self._heap[0]
                delay = until - monotonic()
                if delay > 0:
                    self._wakeup.wait(delay)
                    continue
                heapq.heappop(self._heap)
            budget._expire()


_watchdog = _Watchdog()


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown: it wakes a blocked read, TLS or not, and leaves closing
    # the socket to its owner.
    with suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


@contextmanager
def deadline(until: float, *, idle: float | None = None) -> Iterator[Budget]:
    """Bound every response this thread reads inside the block by `until` (see Budget)."""
    budget, previous = Budget(until, idle=idle), getattr(_local, "budget", None)
    _local.budget = budget
    try:
        yield budget
    finally:
        _local.budget = previous
        budget.close()


def _watch(sock: socket.socket | None) -> None:
    budget = getattr(_local, "budget", None)
    if budget is not None and sock is not None:
        budget.watch(sock)


def _unwatch(sock: socket.socket) -> None:
    budget = getattr(_local, "budget", None)
    if budget is not None:
        budget.unwatch(sock)
