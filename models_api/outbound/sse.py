"""Server-sent events: an incremental decoder for provider streams, the encoder for clients.

The decoder follows the WHATWG rules the OpenAI SDK's own decoder follows
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
CRLF, LF or CR line ends, `data:` lines joined by LF, `:` comments ignored, a blank line
dispatching. It also dispatches a last event that the stream ended without a blank line
after, since some providers end that way. Data stays bytes: it is passed on, not re-read.
"""

import re
from dataclasses import dataclass

import orjson

from models_api.errors import GatewayError

DONE = b"data: [DONE]\n\n"
KEEP_ALIVE = b": keep-alive\n\n"  # a comment: every SSE client skips it
BOM = b"\xef\xbb\xbf"
LINE_END = re.compile(rb"\r\n|\r|\n")


class EventTooLarge(ValueError):
    """One event (or one line) grew past the decoder's limit without ending."""


@dataclass(frozen=True, slots=True)
class Event:
    data: bytes
    event: str = "message"
    id: str | None = None  # the last event id the stream set, as in EventSource


class Decoder:
    """Feed it the stream's bytes in any pieces; it returns each event once it is complete.

    `limit` bounds the bytes held for one unfinished event, so a stream that never sends a
    blank line cannot grow without end.
    """

    def __init__(self, *, limit: int | None = None):
        self.limit = limit
        self._pending = b""
        self._started = False
        self._after_cr = False  # the last piece ended in CR: a LF starting the next is its pair
        self._data: list[bytes] = []
        self._size = 0
        self._event = ""
        self._id: str | None = None

    def feed(self, chunk: bytes) -> list[Event]:
        if chunk and self._after_cr:
            self._after_cr = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        text = self._pending + chunk
        if not self._started:
            if len(text) < len(BOM) and BOM.startswith(text):
                self._pending = text
                return []
            self._started = True
            text = text.removeprefix(BOM)
        events: list[Event] = []
        start = 0
        for end in LINE_END.finditer(text):
            self._line(text[start : end.start()], events)
            start = end.end()
        if start and text[start - 1 : start] == b"\r" and start == len(text):
            self._after_cr = True
        self._pending = text[start:]
        self._check(len(self._pending))
        return events

    def finish(self) -> list[Event]:
        """The events still held when the stream ends: its last line and last event."""
        events: list[Event] = []
        if self._pending:
            self._line(self._pending.removeprefix(b"" if self._started else BOM), events)
            self._pending = b""
        self._line(b"", events)
        return events

    def _line(self, line: bytes, events: list[Event]) -> None:
        if not line:
            if self._data:
                events.append(Event(b"\n".join(self._data), self._event or "message", self._id))
            self._data, self._size, self._event = [], 0, ""
            return
        if line[:1] == b":":
            return
        field, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if field == b"data":
            self._data.append(value)
            self._size += len(value) + 1
            self._check(0)
        elif field == b"event":
            self._event = value.decode("utf-8", "replace")
        elif field == b"id" and b"\0" not in value:
            self._id = value.decode("utf-8", "replace")

    def _check(self, extra: int) -> None:
        if self.limit is not None and self._size + extra > self.limit:
            raise EventTooLarge(f"an event is larger than {self.limit} bytes")


def encode(data: bytes, *, event: str | None = None) -> bytes:
    """One event as the gateway sends it: `data: ...` lines (one per line of data), blank line."""
    head = b"event: " + event.encode() + b"\n" if event and event != "message" else b""
    if b"\n" not in data and b"\r" not in data:
        return head + b"data: " + data + b"\n\n"
    lines = LINE_END.split(data)
    return head + b"".join(b"data: " + line + b"\n" for line in lines) + b"\n"


def encode_json(payload: object) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def encode_error(error: GatewayError) -> bytes:
    """The error event of a stream that already began: OpenAI's `{"error": {...}}` shape,
    which the OpenAI SDK raises as APIError."""
    return encode_json(error.body())
