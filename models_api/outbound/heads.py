"""Response heads read without the email package, for the connections in outbound.transport.

http.client hands each header block to email.parser, the largest single cost of a forwarded
call (about 70 us of a chat call's 1.5 ms here: benchmarks/README.md). This reads the same
lines with http.client's own reader (its limits on line length and count included) into the
same HTTPMessage, value for value as email's compat32 policy gives them (tests/outbound/
test_heads.py compares the two on generated heads).
"""

import http.client

_NAME = frozenset(chr(c) for c in range(0x21, 0x7F)) - {":"}  # email.feedparser's headerRE


def read_head(fp) -> http.client.HTTPMessage:
    """The header lines up to the blank line, as http.client.parse_headers returns them.

    A line folded onto the previous one (obs-fold) is kept in its value, as email keeps it;
    urllib3 then unfolds it. A line that is not `name: value` is dropped (email would end the
    head there and log a defect): a provider's head has nothing to say in one.
    """
    fields: list[list[str]] = []
    for raw in http.client._read_headers(fp):
        line = raw.decode("iso-8859-1")
        if line[:1] in (" ", "\t"):
            if fields:
                fields[-1][1] += line
            continue
        name, colon, value = line.partition(":")
        if colon and name and _NAME.issuperset(name):
            fields.append([name, value.lstrip(" \t")])
    message = http.client.HTTPMessage()
    for name, value in fields:
        message.set_raw(name, value.rstrip("\r\n"))
    return message


class Response(http.client.HTTPResponse):
    """http.client's response with read_head in place of parse_headers; the rest of `begin`
    decides framing exactly as Python 3.11's does."""

    def begin(self):
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            http.client._read_headers(self.fp)  # an interim 100 Continue's head
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = read_head(self.fp)
        encoding = self.headers.get("transfer-encoding")
        self.chunked = bool(encoding) and encoding.lower() == "chunked"
        if self.chunked:
            self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            if self.length is not None and self.length < 0:
                self.length = None
        bodiless = status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED)
        if bodiless or 100 <= status < 200 or self._method == "HEAD":
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True
