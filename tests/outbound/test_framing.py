"""HTTP/1.1 body framing read incrementally: any split of the bytes gives the same body."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models_api.outbound.framing import BodyFraming, FramingError


def chunked(pieces: list[bytes], *, extension: bool = False, trailers: bool = False) -> bytes:
    ext = b";name=value" if extension else b""
    body = b"".join(b"%x%s\r\n%s\r\n" % (len(p), ext, p) for p in pieces if p)
    return body + b"0\r\n" + (b"X-Trailer: 1\r\n" if trailers else b"") + b"\r\n"


def splits(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:], strict=False)]


def read(framing: BodyFraming, parts: list[bytes]) -> bytes:
    return b"".join(framing.feed(part) for part in parts)


@given(
    pieces=st.lists(st.binary(min_size=1, max_size=40), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
    extension=st.booleans(),
    trailers=st.booleans(),
)
def test_any_split_of_a_chunked_body_gives_the_same_body(pieces, cuts, extension, trailers):
    wire = chunked(pieces, extension=extension, trailers=trailers) + b"NEXT"
    framing = BodyFraming(chunked=True, length=None)
    assert read(framing, splits(wire, cuts)) == b"".join(pieces)
    assert framing.done
    assert framing.extra == b"NEXT"  # bytes past the end are never taken as body


@given(
    body=st.binary(max_size=200),
    cuts=st.lists(st.integers(min_value=0, max_value=300), max_size=8),
)
def test_any_split_of_a_sized_body_gives_the_same_body(body, cuts):
    framing = BodyFraming(chunked=False, length=len(body))
    assert read(framing, splits(body + b"extra", cuts)) == body
    assert framing.done
    assert framing.extra == b"extra"[: max(0, len(body + b"extra") - len(body))]


def test_a_body_to_the_close_ends_at_eof():
    framing = BodyFraming(chunked=False, length=None)
    assert read(framing, [b"ab", b"cd"]) == b"abcd"
    assert not framing.done
    framing.at_eof()
    assert framing.done


@pytest.mark.parametrize(
    ("framing", "wire"),
    [
        (BodyFraming(chunked=True, length=None), b"5\r\nabc"),
        (BodyFraming(chunked=True, length=None), b"3\r\nabc\r\n"),  # no last chunk
        (BodyFraming(chunked=False, length=10), b"short"),
    ],
)
def test_a_body_cut_short_is_an_error_at_eof(framing, wire):
    framing.feed(wire)
    with pytest.raises(FramingError, match="closed before the end"):
        framing.at_eof()


@pytest.mark.parametrize(
    "wire",
    [b"zz\r\n", b"0x5\r\nabcde\r\n", b"-1\r\n", b"+5\r\n", b"3\r\nabcdef\r\n", b"f" * 5000],
)
def test_malformed_chunk_framing_is_an_error(wire):
    with pytest.raises(FramingError):
        BodyFraming(chunked=True, length=None).feed(wire)


def test_bare_newlines_are_accepted_as_line_ends():
    framing = BodyFraming(chunked=True, length=None)
    assert framing.feed(b"3\nabc\n0\n\n") == b"abc"
    assert framing.done
