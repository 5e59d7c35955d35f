"""SSE: any split of a valid stream decodes to the same events; the encoder round-trips."""

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models_api.errors import BadGateway
from models_api.outbound import sse
from models_api.outbound.sse import Decoder, Event

VALUE = st.binary(max_size=30).filter(lambda b: b"\r" not in b and b"\n" not in b)
NAME = st.sampled_from(["", "message", "message_start", "content_block_delta", "error"])
ENDINGS = st.sampled_from([b"\n", b"\r\n", b"\r"])


@st.composite
def streams(draw):
    """(wire bytes, the events a WHATWG decoder gives) for a generated stream."""
    lines: list[bytes] = []
    expected: list[Event] = []
    last_id = None
    for _ in range(draw(st.integers(0, 6))):
        name = draw(NAME)
        data = draw(st.lists(VALUE, min_size=1, max_size=3))
        if draw(st.booleans()):
            lines.append(b":" + draw(VALUE))  # a comment, anywhere
        if name:
            lines.append(b"event: " + name.encode())
        if draw(st.booleans()):
            last_id = draw(st.sampled_from(["1", "abc", ""]))
            lines.append(b"id: " + last_id.encode())
        for value in data:
            spaced = value.startswith(b" ") or draw(st.booleans())
            lines.append(b"data: " + value if spaced else b"data:" + value)
        lines.append(b"")
        expected.append(Event(b"\n".join(data), name or "message", last_id))
    closed = draw(st.booleans())  # False: the last event has no blank line after it
    if expected and not closed:
        lines.pop()
    wire, previous = b"", b""
    for line in lines:
        ending = draw(ENDINGS)
        if previous == b"\r" and ending == b"\n" and not line:
            ending = b"\r"  # CR then LF would be one line end, not two
        wire += line + ending
        previous = ending
    return wire, expected


def decode(pieces: list[bytes]) -> list[Event]:
    decoder = Decoder()
    events = [event for piece in pieces for event in decoder.feed(piece)]
    return events + decoder.finish()


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    edges = [0, *sorted({min(c, len(data)) for c in cuts}), len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:], strict=False)]


@given(stream=streams(), cuts=st.lists(st.integers(0, 500), max_size=20))
def test_any_split_of_a_stream_decodes_to_the_same_events(stream, cuts):
    wire, expected = stream
    assert decode([wire]) == expected
    assert decode(split(wire, cuts)) == expected


@given(stream=streams())
def test_byte_by_byte_decodes_to_the_same_events(stream):
    wire, expected = stream
    assert decode([wire[i : i + 1] for i in range(len(wire))]) == expected


def test_an_openai_stream():
    wire = (
        b'data: {"id":"c1","choices":[{"delta":{"content":"Hi"}}]}\n\n'
        b": keep-alive\n\n"
        b'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":3}}\n\n'
        b"data: [DONE]\n\n"
    )
    assert [e.data for e in decode([wire])] == [
        b'{"id":"c1","choices":[{"delta":{"content":"Hi"}}]}',
        b'{"id":"c1","choices":[],"usage":{"prompt_tokens":3}}',
        b"[DONE]",
    ]


def test_named_events_and_multi_line_data():
    wire = b'event: message_start\ndata: {\ndata:  "a": 1}\n\nevent: ping\ndata:\n\n'
    assert decode([wire]) == [
        Event(b'{\n "a": 1}', "message_start"),
        Event(b"", "ping"),
    ]


def test_an_event_without_data_is_not_dispatched_and_its_name_is_forgotten():
    assert decode([b"event: ping\n\ndata: x\n\n"]) == [Event(b"x")]


def test_a_field_without_a_colon_and_unknown_fields():
    assert decode([b"data\nretry: 10\nfoo: bar\n\n"]) == [Event(b"")]


def test_a_leading_bom_is_dropped_even_when_split():
    assert decode([b"\xef", b"\xbb", b"\xbfdata: x\n\n"]) == [Event(b"x")]


def test_a_stream_ending_mid_line_gives_its_last_event():
    assert decode([b"data: a\n\ndata: b"]) == [Event(b"a"), Event(b"b")]


def test_an_event_over_the_limit_is_refused():
    decoder = Decoder(limit=100)
    decoder.feed(b"data: " + b"x" * 60 + b"\n")
    with pytest.raises(sse.EventTooLarge):
        decoder.feed(b"data: " + b"x" * 60 + b"\n")


def test_a_line_over_the_limit_is_refused_before_it_ends():
    with pytest.raises(sse.EventTooLarge):
        Decoder(limit=100).feed(b"data: " + b"x" * 200)


@given(data=st.binary(max_size=60), name=NAME)
def test_what_the_encoder_writes_decodes_to_the_same_data(data, name):
    normalised = b"\n".join(sse.LINE_END.split(data))
    assert decode([sse.encode(data, event=name)]) == [Event(normalised, name or "message")]


def test_the_encoder_writes_compact_openai_frames():
    assert sse.encode(b'{"a":1}') == b'data: {"a":1}\n\n'
    assert sse.encode(b"a\nb", event="x") == b"event: x\ndata: a\ndata: b\n\n"
    assert sse.encode_json({"a": [1, 2]}) == b'data: {"a":[1,2]}\n\n'
    assert sse.DONE == b"data: [DONE]\n\n"


def test_the_error_event_is_openais_error_shape():
    frame = sse.encode_error(BadGateway("it broke", provider="groq", code="stream_broken"))
    assert frame.startswith(b"data: ") and frame.endswith(b"\n\n")
    assert orjson.loads(frame[6:]) == {
        "error": {
            "message": "it broke",
            "type": "upstream_error",
            "param": None,
            "code": "stream_broken",
            "provider": "groq",
        }
    }
