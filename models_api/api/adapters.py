"""The seam between the call flow and a provider family: body out, answer and stream back.

An Adapter turns the client's OpenAI body into the provider's body, the provider's answer
into OpenAI's, and the provider's stream into the client's SSE bytes. OpenAI-compatible
providers (Endpoint.translated False) share Forward, which changes only `model` (and asks
for stream usage where the provider accepts it). A native family plugs in one Translate
built from its pure translation functions (models_api/providers/<family>_<capability>.py)
and its error reader (providers/native_errors.py); EachBody, for an API that takes one call
per body (Bedrock's InvokeModel), sends them one after another.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import orjson
from django.conf import settings

from models_api.api.relay import StreamOutcome, relay_openai_stream, translated_stream
from models_api.errors import BadGateway, InvalidRequest
from models_api.outbound import sse
from models_api.outbound.answers import ErrorReader
from models_api.outbound.streaming import Stream
from models_api.providers import (
    anthropic_chat,
    bedrock_chat,
    bedrock_embeddings,
    cohere_chat,
    cohere_embeddings,
    google_chat,
    google_embeddings,
    native_errors,
)
from models_api.providers import openai_shapes as shapes
from models_api.providers.base import ROUTES, ProviderClient
from models_api.usage.tokens import with_stream_usage

Finish = Callable[[StreamOutcome], None]
Post = Callable[[bytes], tuple[object, Mapping[str, str]]]  # one POST: (its JSON, its headers)


class Adapter(Protocol):
    errors: ErrorReader | None  # reads the provider's error answers; None: the generic reader

    def request(self, body: dict, *, model: str, stream: bool) -> tuple[bytes, bool]:
        """(the provider's body, whether the relay drops the usage-only chunk)."""

    def send(self, post: Post, payload: bytes) -> object:
        """The provider's decoded answer to `payload`, sent by `post`."""

    def answer(self, data: object, *, model: str, body: dict) -> dict:
        """OpenAI's answer for the provider's decoded answer (`body` is the client's request);
        BadGateway for a wrong shape."""

    def chunks(
        self, stream: Stream, *, model: str, drop_usage: bool, on_finish: Finish
    ) -> Iterator[bytes]:
        """The client's SSE bytes for the provider's stream, ending in [DONE] or an error."""


@dataclass(frozen=True)
class Forward:
    """OpenAI-compatible: the client's body with `model` set to the provider's id, every other
    field kept (key order too); `stream_usage` when the provider takes stream_options."""

    stream_usage: bool = False
    errors: ErrorReader | None = None

    def request(self, body: dict, *, model: str, stream: bool) -> tuple[bytes, bool]:
        body = {**body, "model": model}
        drop_usage = False
        if stream and self.stream_usage:
            body, asked = with_stream_usage(body)
            drop_usage = not asked
        return orjson.dumps(body), drop_usage

    def send(self, post: Post, payload: bytes) -> object:
        return post(payload)[0]

    def answer(self, data: object, *, model: str, body: dict) -> dict:
        return data

    def chunks(
        self, stream: Stream, *, model: str, drop_usage: bool, on_finish: Finish
    ) -> Iterator[bytes]:
        return relay_openai_stream(stream, drop_usage_chunk=drop_usage, on_finish=on_finish)


@dataclass(frozen=True)
class Translate:
    """A native API: pure functions from the family's translation module.

    `to_provider(body, model=)` -> provider body; `from_provider(data, model=)` -> OpenAI
    answer; `stream_chunks(events, model=)` -> OpenAI chunks for (event name, JSON) pairs,
    read from the provider's SSE stream by `events` (or another framing, e.g. Bedrock's).
    The usage chunk a translation ends with reaches the client only when it asked for it.
    The provider's silences reach the WSGI server as ticks (openai_shapes.IDLE through
    `events` and `stream_chunks`), as on a forwarded stream, so a client that leaves during a
    long silence closes the provider connection within a tick.
    """

    to_provider: Callable[..., object]
    from_provider: Callable[..., dict]
    stream_chunks: Callable[..., Iterator[dict]] | None = None
    events: Callable[[Iterable[bytes]], Iterator[tuple[str, object]]] = field(
        default=lambda chunks: sse_json_events(chunks)
    )
    answer_fields: Callable[[dict], dict] = field(default=lambda body: {})  # from the request
    errors: ErrorReader | None = None

    def request(self, body: dict, *, model: str, stream: bool) -> tuple[bytes, bool]:
        # The translation carries `stream` over where the provider takes it in the body.
        options = body.get("stream_options")
        asked = isinstance(options, dict) and options.get("include_usage") is True
        return orjson.dumps(self.to_provider(body, model=model)), not asked

    def send(self, post: Post, payload: bytes) -> object:
        return post(payload)[0]

    def answer(self, data: object, *, model: str, body: dict) -> dict:
        return self.from_provider(data, model=model, **self.answer_fields(body))

    def chunks(
        self, stream: Stream, *, model: str, drop_usage: bool, on_finish: Finish
    ) -> Iterator[bytes]:
        convert = self.stream_chunks

        def translated(raw: Iterable[bytes]) -> Iterator[dict]:
            return convert(self.events(raw), model=model)

        return translated_stream(stream, translated, drop_usage=drop_usage, on_finish=on_finish)


@dataclass(frozen=True)
class EachBody(Translate):
    """A native API that takes one call per body of `to_provider`'s list (Bedrock's
    InvokeModel), made in order; `from_provider` gets the answers as a list, and
    `token_counts` read by `count` from each answer's headers."""

    count: Callable[[Mapping[str, str]], int | None] = field(default=lambda headers: None)

    def request(self, body: dict, *, model: str, stream: bool) -> tuple[list[bytes], bool]:
        return [orjson.dumps(one) for one in self.to_provider(body, model=model)], True

    def send(self, post: Post, payload: list[bytes]) -> list[tuple[object, Mapping[str, str]]]:
        return [post(one) for one in payload]

    def answer(self, data: object, *, model: str, body: dict) -> dict:
        answers = [found for found, _ in data]
        counts = [self.count(headers) for _, headers in data]
        return self.from_provider(
            answers, model=model, token_counts=counts, **self.answer_fields(body)
        )


def sse_json_events(chunks: Iterable[bytes]) -> Iterator[tuple[str, object]]:
    """(event name, decoded JSON data) per SSE event, until the end or a `[DONE]`; ("", IDLE)
    for each tick of the provider's silence."""
    decoder = sse.Decoder(limit=settings.GATEWAY_MAX_RESPONSE_BYTES)
    try:
        for chunk in chunks:
            if not chunk:
                yield "", shapes.IDLE
                continue
            for event in decoder.feed(chunk):
                if event.data.startswith(b"[DONE]"):
                    return
                yield _event(event)
        for event in decoder.finish():
            if not event.data.startswith(b"[DONE]"):
                yield _event(event)
    except sse.EventTooLarge:
        raise BadGateway(
            "The provider sent a stream event larger than GATEWAY_MAX_RESPONSE_BYTES."
        ) from None


def _event(event: sse.Event) -> tuple[str, object]:
    try:
        return ("" if event.event == "message" else event.event), orjson.loads(event.data)
    except orjson.JSONDecodeError:
        raise BadGateway("The provider sent a stream event that is not JSON.") from None


def _embedding_fields(provider: str) -> Callable[[dict], dict]:
    """What an embeddings translation needs of the request to read the answer."""

    def fields(body: dict) -> dict:
        inputs = shapes.embedding_inputs(body, provider=provider)
        return {"inputs": len(inputs), "encoding_format": shapes.encoding_format(body)}

    return fields


def _chat(module, **extra) -> Translate:
    errors = getattr(native_errors, module.PROVIDER)
    return Translate(
        module.chat_request, module.chat_response, module.chat_stream, errors=errors, **extra
    )


def _embeddings(module, provider: str) -> Translate:
    fields = _embedding_fields(provider)
    errors = getattr(native_errors, provider)
    return Translate(
        module.embeddings_request, module.embeddings_response, answer_fields=fields, errors=errors
    )


FORWARD = Forward()
FORWARD_WITH_USAGE = Forward(stream_usage=True)
# The native families, per capability: one request and one answer each, but for Bedrock
# embeddings: one InvokeModel call per Titan input, or per 96 Cohere Embed inputs.
NATIVE: Mapping[tuple[str, str], Adapter] = {
    ("anthropic", "chat"): _chat(anthropic_chat),
    ("google", "chat"): _chat(google_chat),
    ("google", "embeddings"): _embeddings(google_embeddings, "google"),
    ("cohere", "chat"): _chat(cohere_chat),
    ("cohere", "embeddings"): _embeddings(cohere_embeddings, "cohere"),
    ("bedrock", "chat"): _chat(bedrock_chat, events=bedrock_chat.bedrock_events),
    ("bedrock", "embeddings"): EachBody(
        bedrock_embeddings.embeddings_request,
        bedrock_embeddings.embeddings_response,
        answer_fields=_embedding_fields("bedrock"),
        errors=native_errors.bedrock,
        count=bedrock_embeddings.token_count,
    ),
}


def adapter_for(client: ProviderClient, capability: str) -> Adapter:
    """The adapter that calls `capability` on `client`'s provider."""
    if not client.translated:
        return FORWARD_WITH_USAGE if client.stream_usage else FORWARD
    adapter = NATIVE.get((client.slug, capability))
    if adapter is None:
        raise InvalidRequest(
            f"{client.slug} models are not yet callable through {ROUTES[capability]} on this "
            "gateway (its translation is not wired in yet); GET /v1/models still lists them.",
            code="unsupported_route",
            provider=client.slug,
        )
    return adapter
