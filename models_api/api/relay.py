"""The relay of an OpenAI-compatible stream: provider SSE bytes in, the client's SSE bytes out.

Each event goes on as it arrives, re-framed but not re-serialised, and the client's stream
always ends: with `data: [DONE]`, or with one OpenAI-shaped error event. While the provider
is silent the relay still returns to the WSGI server every tick (outbound.streaming.TICK):
with b"", which a server hands to its transport and no client ever sees (Granian fails that
hand-over once the client has gone, and then closes this iterator), and after each
KEEP_ALIVE_AFTER seconds of silence with an SSE comment, which every SSE client (the OpenAI
SDK included) skips, which keeps proxies' read timeouts from cutting a model that thinks
long, and which a server that skips empty writes (gunicorn) needs to notice a departure.
"""

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from time import monotonic

import orjson
from django.conf import settings
from django.http import StreamingHttpResponse

from models_api import redaction
from models_api.errors import BadGateway, GatewayError, UpstreamError, internal_error
from models_api.outbound import sse
from models_api.outbound.streaming import Stream
from models_api.providers.openai_shapes import IDLE
from models_api.usage.tokens import TokenCounts, is_usage_only_chunk, usage_from

log = logging.getLogger(__name__)

KEEP_ALIVE_AFTER = 15.0  # seconds of provider silence between two keep-alive comments


@dataclass
class StreamOutcome:
    """How a relayed stream ended, for the usage record.

    `usage` is the last usage the provider reported; `error` what ended the stream early
    (sent to the client as the error event); `completed` that the provider's stream ended;
    `client_left` that the client went away first; `events` how many events were relayed.
    """

    usage: TokenCounts | None = None
    error: GatewayError | None = None
    completed: bool = False
    client_left: bool = False
    events: int = 0


def relay_openai_stream(
    stream: Stream,
    *,
    drop_usage_chunk: bool = False,
    on_finish: Callable[[StreamOutcome], None] | None = None,
    keep_alive_after: float = KEEP_ALIVE_AFTER,
) -> Iterator[bytes]:
    """The client's SSE bytes from `stream`, for a StreamingHttpResponse.

    `drop_usage_chunk`: leave out the usage-only chunk (see usage.tokens.with_stream_usage:
    True when the gateway added `include_usage` and the client had not asked). The provider
    connection is closed when the iterator ends or is closed (the client left), and then
    `on_finish` is called once with the outcome; it must not raise.
    """
    outcome = StreamOutcome()
    events = _events(stream, outcome, drop_usage_chunk, keep_alive_after)
    return _ending(stream, outcome, events, on_finish)


def translated_stream(
    stream: Stream,
    convert: Callable[[Stream], Iterator[dict]],
    *,
    drop_usage: bool = False,
    on_finish: Callable[[StreamOutcome], None] | None = None,
) -> Iterator[bytes]:
    """The client's SSE bytes for a native stream: `convert(stream)` gives OpenAI chunks,
    and IDLE for each tick of the provider's silence (b"" or a keep-alive, as relayed).

    Ends as relay_openai_stream does: `[DONE]`, or one error event for a GatewayError the
    conversion raises (its message scrubbed of the credential); the provider connection is
    closed and `on_finish` called once.
    """
    outcome = StreamOutcome()
    return _ending(stream, outcome, _translated(stream, convert, outcome, drop_usage), on_finish)


def _translated(stream: Stream, convert, outcome: StreamOutcome, drop_usage: bool):
    quiet_since = monotonic()
    try:
        for chunk in convert(stream):
            if chunk is IDLE:  # the provider is silent: a tick, or a keep-alive comment
                if monotonic() - quiet_since < KEEP_ALIVE_AFTER:
                    yield b""
                    continue
                quiet_since = monotonic()
                yield sse.KEEP_ALIVE
                continue
            outcome.usage = usage_from(chunk) or outcome.usage
            if drop_usage and is_usage_only_chunk(chunk):
                continue
            outcome.events += 1
            quiet_since = monotonic()
            yield sse.encode_json(chunk)
    except GatewayError as error:
        error.message = redaction.scrub(error.message, stream.hidden)
        outcome.error = error
    except Exception:
        log.exception("translating the %s stream failed", stream.provider)
        outcome.error = internal_error()
    else:
        outcome.completed = True
        yield sse.DONE
        return
    yield sse.encode_error(outcome.error)


def _ending(stream: Stream, outcome: StreamOutcome, events: Iterator[bytes], on_finish):
    """`events`, then the provider connection closed and on_finish called, however it ends."""
    try:
        yield from events
    except GeneratorExit:
        outcome.client_left = not outcome.completed and outcome.error is None
        raise
    finally:
        stream.close()
        if on_finish is not None:
            try:
                on_finish(outcome)
            except Exception:
                log.exception("recording the end of a %s stream failed", stream.provider)


def event_stream_response(
    chunks: Iterator[bytes], *, headers: Mapping[str, str] | None = None
) -> StreamingHttpResponse:
    """`chunks` (from relay_openai_stream) as a text/event-stream answer, sent as they come.

    No Content-Length and no compression (models_api.api.compression); no-cache and
    X-Accel-Buffering: no keep caches and nginx from holding events back. When the server
    closes the response (the client left), `chunks` is closed, and with it the provider.
    """
    response = StreamingHttpResponse(chunks, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _events(stream: Stream, outcome: StreamOutcome, drop_usage: bool, keep_alive_after: float):
    decoder = sse.Decoder(limit=settings.GATEWAY_MAX_RESPONSE_BYTES)
    quiet_since = monotonic()
    try:
        for chunk in stream:
            if not chunk:
                if monotonic() - quiet_since < keep_alive_after:
                    yield b""
                    continue
                quiet_since = monotonic()
                yield sse.KEEP_ALIVE
                continue
            quiet_since = monotonic()
            out, ended = _relay(decoder.feed(chunk), outcome, drop_usage)
            if out:
                yield out
            if ended:
                break
        else:
            out, _ = _relay(decoder.finish(), outcome, drop_usage)
            if out:
                yield out
    except sse.EventTooLarge:
        outcome.error = BadGateway(
            f"{stream.provider} sent a stream event larger than "
            f"{settings.GATEWAY_MAX_RESPONSE_BYTES} bytes (GATEWAY_MAX_RESPONSE_BYTES).",
            provider=stream.provider,
        )
    except GatewayError as error:
        outcome.error = error
    except Exception:
        log.exception("relaying the %s stream failed", stream.provider)
        outcome.error = internal_error()
    else:
        if outcome.error is None:  # else the provider's own error event has gone on already
            outcome.completed = True
            yield sse.DONE
        return
    yield sse.encode_error(outcome.error)


def _relay(events: list[sse.Event], outcome: StreamOutcome, drop_usage: bool):
    """(the client's bytes for `events`, whether the provider's stream has ended)."""
    out = []
    for event in events:
        if event.data.startswith(b"[DONE]"):
            return b"".join(out), True
        try:
            chunk = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            chunk = None
        if isinstance(chunk, dict):
            outcome.usage = usage_from(chunk) or outcome.usage
            if drop_usage and is_usage_only_chunk(chunk):
                continue
            if chunk.get("error"):  # the provider's own error event ends its stream
                out.append(sse.encode(event.data, event=event.event))
                outcome.events += 1
                outcome.error = _provider_error(chunk["error"])
                return b"".join(out), True
        out.append(sse.encode(event.data, event=event.event))
        outcome.events += 1
    return b"".join(out), False


def _provider_error(error: object) -> GatewayError:
    message = error.get("message") if isinstance(error, dict) else error
    text = message if isinstance(message, str) and message else "the provider sent an error"
    return UpstreamError(text[:500], status=502)
