"""One model call, the same for /v1/chat/completions, /v1/completions and /v1/embeddings.

Read the body, check the key, choose the target (call_target: the list routes' access rules,
before any provider is contacted), get the provider's Endpoint, send the body through the
family's Adapter, answer JSON or relay the stream, and record usage off the response path.

Timeouts: connecting (and, for a stream, the head) within GATEWAY_UPSTREAM_TIMEOUT; then
each silence of the provider within GATEWAY_STREAM_IDLE_TIMEOUT, for a stream between two
chunks and for an answer while it is generated (its first byte comes only at the end), so a
long healthy call is never cut. A POST is retried only when no connection was made.
"""

from dataclasses import dataclass
from time import monotonic
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse

from keys.access import access_resolve
from keys.models import ApiKey
from models_api.api.adapters import Adapter, adapter_for
from models_api.api.body import read_json_body
from models_api.api.call_target import CallTarget, call_target
from models_api.api.relay import StreamOutcome, event_stream_response
from models_api.api.rendering import json_response
from models_api.api.routing import Route
from models_api.api.views import RoutedView
from models_api.errors import BadGateway, GatewayError
from models_api.outbound import http
from models_api.outbound.streaming import post_stream
from models_api.providers import get_client
from models_api.providers.shapes import Endpoint
from models_api.usage.recorder import usage_record
from models_api.usage.tokens import TokenCounts, usage_from

CLIENT_LEFT = 499  # nginx's "client closed request", for a stream the client left


@dataclass(frozen=True)
class Call:
    """What one call records: where it went and for whom."""

    capability: str
    chosen: CallTarget
    api_key_id: int | None
    stream: bool
    trace_id: str
    started: float

    def record(self, status: int, tokens: TokenCounts | None = None) -> None:
        usage_record(
            route=self.capability,
            provider=self.chosen.target.provider,
            model=self.chosen.model,
            status=status,
            latency_ms=int((monotonic() - self.started) * 1000),
            api_key_id=self.api_key_id,
            virtual_key_id=self.chosen.virtual_key_id,
            tokens=tokens,
            stream=self.stream,
            trace_id=self.trace_id,
        )


def model_call(request, *, capability: str, route: Route) -> HttpResponse:
    """The response to a POST of `capability` ("chat", "completions" or "embeddings").

    Raises GatewayError before the provider answers (rendered as JSON by the handler); once
    a stream has begun, an error is its last SSE event instead. The caller got past
    keys.permissions.GatewayKeyRequired: `request.auth` is None only in open mode. Every
    call whose target was chosen is recorded, failed ones with their status and no tokens;
    requests refused before that (bad body, key, unknown model) are counted in the request
    metrics only.
    """
    started = monotonic()
    api_key: ApiKey | None = request.auth
    body = read_json_body(request)
    chosen = call_target(access=access_resolve(api_key=api_key), route=route, model=body.model)
    # OpenAI's embeddings API has no stream: a `stream` there is left to the provider, and
    # the answer is JSON.
    stream = body.stream and capability != "embeddings"
    call = Call(
        capability=capability,
        chosen=chosen,
        api_key_id=api_key.pk if api_key is not None else None,
        stream=stream,
        trace_id=getattr(request, "trace_id", ""),
        started=started,
    )
    headers = {"x-portkey-provider": chosen.target.provider, "Cache-Control": "no-store"}
    try:
        client = get_client(chosen.target.provider)
        endpoint = client.endpoint(chosen.target, capability, chosen.model, stream=stream)
        adapter = adapter_for(client, capability)
        payload, drop_usage = adapter.request(body.data, model=chosen.model, stream=stream)
        if stream:
            return _stream(call, endpoint, adapter, payload, drop_usage, headers)
        data = adapter.send(lambda one: _post(endpoint, chosen, one, adapter), payload)
        answer = adapter.answer(data, model=chosen.model, body=body.data)
        if not isinstance(answer, dict):
            raise BadGateway(
                f"{chosen.target.provider} answered with JSON that is not an object.",
                provider=chosen.target.provider,
            )
    except GatewayError as error:
        call.record(error.status)
        raise
    call.record(200, usage_from(answer))
    return json_response(request, answer, headers=headers)


def _url(endpoint: Endpoint) -> str:
    return f"{endpoint.url}?{urlencode(endpoint.params)}" if endpoint.params else endpoint.url


def _post(endpoint: Endpoint, chosen: CallTarget, payload: bytes, adapter: Adapter):
    return http.post_answer(
        _url(endpoint),
        provider=chosen.target.provider,
        body=payload,
        headers=endpoint.headers,
        auth=endpoint.auth,
        secrets=endpoint.secrets,
        idle_timeout=settings.GATEWAY_STREAM_IDLE_TIMEOUT,
        read_error=adapter.errors,
    )


def _stream(
    call: Call,
    endpoint: Endpoint,
    adapter: Adapter,
    payload: bytes,
    drop_usage: bool,
    headers: dict,
) -> HttpResponse:
    stream = post_stream(
        _url(endpoint),
        provider=call.chosen.target.provider,
        body=payload,
        headers=endpoint.headers,
        auth=endpoint.auth,
        secrets=endpoint.secrets,
        read_error=adapter.errors,
    )

    def finished(outcome: StreamOutcome) -> None:
        status = 200 if outcome.completed else CLIENT_LEFT if outcome.client_left else 502
        if outcome.error is not None:
            status = outcome.error.status
        call.record(status, outcome.usage)

    chunks = adapter.chunks(
        stream, model=call.chosen.model, drop_usage=drop_usage, on_finish=finished
    )
    return event_stream_response(chunks, headers=headers)


class ModelCallView(RoutedView):
    """The thin view of one call route: the models routes' authentication, open-mode rule
    and throttle; the body is read by read_json_body, never by a DRF parser."""

    capability = ""

    def post(self, request):
        return model_call(request, capability=self.capability, route=self.route())
