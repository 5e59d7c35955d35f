"""Streamed POSTs: the provider's answer passed on chunk by chunk, as its socket gives it."""

import logging
import socket
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import suppress

import requests
from django.conf import settings

from models_api import metrics
from models_api.errors import BadGateway, GatewayTimeout
from models_api.outbound import answers, egress, http, transport
from models_api.outbound.framing import BodyFraming, FramingError
from models_api.outbound.reader import CHUNK, IdleReader, IdleTimeout

log = logging.getLogger(__name__)

TICK = 0.5  # seconds of provider silence after which iteration yields b"" (see Stream)
STREAM_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "text/event-stream",
    # A compressed stream arrives in the compressor's blocks, not the provider's events.
    "Accept-Encoding": "identity",
}
DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def post_stream(
    url: str,
    *,
    provider: str,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    auth: Callable | None = None,
    secrets: Iterable[str] = (),
    deadline: float | None = None,
    policy: egress.Policy = egress.PUBLIC,
    tick: float = TICK,
    read_error: answers.ErrorReader | None = None,
) -> "Stream":
    """POST `body` as given and return the Stream once the provider's status and head are in.

    Connecting and the head are bounded by `deadline` (GATEWAY_UPSTREAM_TIMEOUT by default);
    a non-2xx answer is read whole and raised as post_json raises it, and the POST is retried
    only when no connection could be made (`read_error` as for post_answer). `headers` are
    added to STREAM_HEADERS.
    """
    headers = {**STREAM_HEADERS, **(headers or {})}
    until = http.new_deadline() if deadline is None else deadline
    hidden = answers.secrets_of(headers, {}, secrets)
    with metrics.upstream_timed(provider), transport.deadline(until) as budget:
        response = http.send_once(
            url,
            provider=provider,
            headers=headers,
            body=body,
            auth=auth,
            policy=policy,
            budget=budget,
        )
        if not 200 <= response.status_code < 300:
            with response:
                status = response.status_code
                error_body = (
                    b"" if 300 <= status < 400 else answers.read_body(response, provider, budget)
                )
                answers.check_status(response, error_body, provider, hidden, read_error)
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", *DECODERS):
            response.close()
            raise BadGateway(
                f"{provider} compressed its stream with {encoding[:40]!r}, which the gateway did "
                "not ask for and cannot read.",
                provider=provider,
            )
    if budget.expired:  # the deadline passed just as the head arrived
        response.close()
        raise answers.timeout(provider)
    return Stream(response, provider=provider, tick=tick, hidden=hidden)


class Stream:
    """A provider's streamed answer whose status and head have arrived.

    Iterating gives the body's bytes as the socket delivers them (chunk framing removed,
    nothing buffered), and b"" after each `tick` seconds in which nothing came, so that the
    caller can give a WSGI server the chance to notice its client left. More than
    GATEWAY_STREAM_IDLE_TIMEOUT seconds without a byte raises GatewayTimeout; a connection
    that breaks or ends before the body does raises BadGateway. Either way the connection is
    closed. A body read to its end puts the connection back in the pool.

    close() ends the stream at once, closing the provider connection (never pooled). Call
    it from the iterating thread, or between reads; from another thread mid-read it only
    shuts the socket down, and the reading thread closes it.
    """

    def __init__(
        self,
        response: requests.Response,
        *,
        provider: str,
        tick: float = TICK,
        hidden: Iterable[str] = (),
    ):
        self.status: int = response.status_code
        self.hidden = tuple(hidden)  # the credential's forms, to scrub from its error events
        self.headers: Mapping[str, str] = response.headers
        self.provider = provider
        self._response = response
        self._tick = tick
        self._lock = threading.Lock()
        self._reading = False
        self._closed = False
        self._done = False
        self._ended = False
        self._reader: IdleReader | None = None
        self._sock = _socket_of(response)
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        self._decoder = zlib.decompressobj(DECODERS[encoding]) if encoding in DECODERS else None
        self._chunks = self._read_all()

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        with self._lock:
            if self._closed:
                raise StopIteration
            self._reading = True
        try:
            return next(self._chunks)
        except StopIteration:
            raise
        except BaseException:
            self._end(reusable=False)
            raise
        finally:
            with self._lock:
                self._reading = False
                closing = self._closed
            if closing:  # close() came from another thread while this one was reading
                self._end(reusable=self._done)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            reading = self._reading
        if reading:
            _shut(self._sock)
        else:
            self._end(reusable=self._done)

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _read_all(self) -> Iterator[bytes]:
        sock = self._sock
        if sock is None:  # `responses` in tests, or TLS inside a TLS proxy: urllib3 reads it
            yield from self._read_through_urllib3()
            return
        head = self._response.raw._fp  # http.client's response: it parsed the framing
        framing = BodyFraming(chunked=bool(head.chunked), length=head.length)
        self._reader = IdleReader(sock, idle=settings.GATEWAY_STREAM_IDLE_TIMEOUT, tick=self._tick)
        pending = _buffered(head.fp)  # what http.client read past the head
        while not framing.done:
            try:
                data = pending or self._reader.read()
                pending = b""
                if data is None:
                    framing.at_eof()
                    break
                body = self._decode(framing.feed(data)) if data else None
            except IdleTimeout:
                raise self._idle() from None
            except (OSError, FramingError) as exc:
                if self._closed:
                    return
                log.info("%s stream broke: %s", self.provider, type(exc).__name__)
                raise self._broken() from None
            if body is None:
                yield b""  # a tick of silence
            elif body:
                yield body
        if tail := self._decoder.flush() if self._decoder else b"":
            yield tail
        self._done = not framing.extra and not head.will_close
        self._end(reusable=self._done)

    def _read_through_urllib3(self) -> Iterator[bytes]:
        try:
            yield from self._response.raw.stream(CHUNK, decode_content=True)
        except requests.exceptions.RequestException:
            raise self._broken() from None
        except Exception as exc:  # urllib3's own errors: ProtocolError, ReadTimeoutError, ...
            if type(exc).__module__.startswith("urllib3"):
                raise self._broken() from None
            raise
        self._done = True
        self._end(reusable=True)

    def _decode(self, body: bytes) -> bytes:
        if self._decoder is None or not body:
            return body
        try:
            return self._decoder.decompress(body)
        except zlib.error:
            raise self._broken() from None

    def _end(self, *, reusable: bool) -> None:
        """Give the connection back to the pool when its body is complete, else close it."""
        with self._lock:
            self._closed = True
            if self._ended:
                return
            self._ended = True
        if self._reader is not None:
            with suppress(OSError, KeyError, ValueError):
                self._reader.restore()
        if reusable:
            self._response.raw._fp.close()  # http.client's side; the socket stays open
            self._response.raw.release_conn()
            return
        _shut(self._sock)
        self._response.close()  # closes the socket; the pool gets an empty slot back

    def _idle(self) -> GatewayTimeout:
        idle = settings.GATEWAY_STREAM_IDLE_TIMEOUT
        return GatewayTimeout(
            f"{self.provider} sent nothing for {idle:g} seconds in the middle of its stream "
            "(GATEWAY_STREAM_IDLE_TIMEOUT).",
            provider=self.provider,
            code="stream_idle_timeout",
        )

    def _broken(self) -> BadGateway:
        return BadGateway(
            f"The connection to {self.provider} broke in the middle of its stream.",
            provider=self.provider,
            code="stream_broken",
        )


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The plain or TLS socket the body comes from, if it comes from one.

    Read from http.client's reader, which holds the socket even when the answer said
    "Connection: close" and the connection object has already let go of it.
    """
    fp = getattr(getattr(response.raw, "_fp", None), "fp", None)
    sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _buffered(fp) -> bytes:
    """Take the body bytes http.client's reader holds past the head, without blocking.

    The socket is non-blocking by now, so read1 returns b"" once the buffer is empty.
    """
    parts = []
    with suppress(BlockingIOError, OSError):
        while data := fp.read1(CHUNK):
            parts.append(data)
    return b"".join(parts)


def _shut(sock: socket.socket | None) -> None:
    if sock is not None:
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
