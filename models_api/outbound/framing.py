"""HTTP/1.1 response body framing, read incrementally: chunked, Content-Length, or to the close.

Pure code for outbound.streaming, which reads a provider's socket itself so that it can wake
while the provider is silent (http.client cannot be read with a short timeout and resumed).
"""

MAX_LINE = 4096  # a chunk-size line, with any extensions
MAX_TRAILERS = 16 * 1024
HEX_DIGITS = b"0123456789abcdefABCDEF"


class FramingError(ValueError):
    """The body does not follow its framing, or ended before its framing said it would."""


class BodyFraming:
    """Turns the bytes read from a connection into the body's bytes, chunk framing removed.

    `feed` returns the body bytes in what it was given (maybe b""); `done` says the body is
    complete, `extra` holds any bytes that followed it (a connection with extra bytes cannot
    be reused). `at_eof` is called when the connection ends and raises if the body was cut.
    """

    def __init__(self, *, chunked: bool, length: int | None):
        self.chunked = chunked
        self.remaining = length  # Content-Length framing; None: chunked, or until the close
        self.done = length == 0 and not chunked
        self.extra = b""
        self._line = bytearray()
        self._state = "size"  # chunked: size, data, data-end, trailers
        self._trailers = 0

    def feed(self, data: bytes) -> bytes:
        if self.done:
            self.extra += data
            return b""
        if self.chunked:
            return self._feed_chunked(data)
        if self.remaining is None:
            return data
        body, rest = data[: self.remaining], data[self.remaining :]
        self.remaining -= len(body)
        if self.remaining == 0:
            self.done = True
            self.extra = rest
        return body

    def at_eof(self) -> None:
        if self.done or (not self.chunked and self.remaining is None):
            self.done = True
            return
        raise FramingError("the connection closed before the end of the body")

    def _feed_chunked(self, data: bytes) -> bytes:
        out = []
        view = memoryview(data)
        while view and not self.done:
            if self._state == "data":
                take = view[: self.remaining]
                out.append(bytes(take))
                self.remaining -= len(take)
                view = view[len(take) :]
                if self.remaining == 0:
                    self._state = "data-end"
                continue
            end = bytes(view[:MAX_LINE]).find(b"\n")
            if end < 0:
                self._line += view
                view = view[len(view) :]
                if len(self._line) > MAX_LINE:
                    raise FramingError("a chunk-size line is too long")
                continue
            self._line += view[:end]
            view = view[end + 1 :]
            line, self._line = bytes(self._line).rstrip(b"\r"), bytearray()
            self._line_done(line)
        if self.done:
            self.extra = bytes(view)
        return b"".join(out)

    def _line_done(self, line: bytes) -> None:
        if self._state == "size":
            size = line.split(b";", 1)[0].strip()
            if not size or size.strip(HEX_DIGITS) or len(size) > 16:
                raise FramingError("a chunk size is not hexadecimal")
            self.remaining = int(size, 16)
            self._state = "data" if self.remaining else "trailers"
        elif self._state == "data-end":
            if line:
                raise FramingError("a chunk is longer than its size")
            self._state = "size"
        elif not line:  # the blank line after the trailers ends the body
            self.done = True
        else:
            self._trailers += len(line)
            if self._trailers > MAX_TRAILERS:
                raise FramingError("the trailers are too long")
