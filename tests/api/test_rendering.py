"""Cached answers are gzipped once, when cached, and sent as such to clients that accept gzip."""

import gzip
import json
import random

import orjson
import pytest
import responses
from django.http import Http404
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from models_api.api import rendering
from models_api.api.rendering import JSONRenderer, RenderedJSON
from tests.factories import VirtualKeyFactory, make_api_key
from tests.test_performance import catalog

pytestmark = pytest.mark.django_db

GZIP = {"Accept-Encoding": "gzip, deflate"}


@pytest.fixture
def compress_calls(monkeypatch):
    calls = []
    real = rendering.gzip.compress

    def counting(data, *args, **kwargs):
        calls.append(len(data))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(rendering.gzip, "compress", counting)
    return calls


@pytest.fixture
def scoped():
    virtual_key = VirtualKeyFactory(base_url="https://api.openai.com/v1")
    catalog(virtual_key, 30)
    _, raw = make_api_key(virtual_keys=[virtual_key])
    return virtual_key, raw


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Vary", "").split(",") if part.strip()}


def test_catalog_page_is_compressed_once_and_served_gzipped(client, scoped, compress_calls):
    _, raw = scoped
    plain = client.get("/v1/models", headers={"x-portkey-api-key": raw})
    assert plain.status_code == 200
    assert plain["x-portkey-cache-status"] == "MISS"
    assert not plain.has_header("Content-Encoding")
    assert "accept-encoding" in vary(plain)
    expected = json.loads(plain.content)
    assert len(expected["data"]) == 30

    answers = [client.get("/v1/models", headers={"x-portkey-api-key": raw, **GZIP}) for _ in "ab"]
    for answer in answers:
        assert answer.status_code == 200
        assert answer["x-portkey-cache-status"] == "HIT"
        assert answer["Content-Encoding"] == "gzip"
        assert answer["Content-Type"] == "application/json"
        assert int(answer["Content-Length"]) == len(answer.content)
        assert len(answer.content) < len(plain.content)
        assert json.loads(gzip.decompress(answer.content)) == expected
    # One compression, when the page was cached; the hits send those bytes as they are.
    assert compress_calls == [len(plain.content)]
    assert answers[0].content == answers[1].content


def test_client_without_gzip_gets_the_plain_cached_body(client, scoped):
    _, raw = scoped
    client.get("/v1/models", headers={"x-portkey-api-key": raw, **GZIP})
    answer = client.get("/v1/models", headers={"x-portkey-api-key": raw, "Accept-Encoding": "br"})
    assert answer["x-portkey-cache-status"] == "HIT"
    assert not answer.has_header("Content-Encoding")
    assert int(answer["Content-Length"]) == len(answer.content)
    assert len(json.loads(answer.content)["data"]) == 30


@responses.activate
def test_provider_route_cached_list_is_gzipped_once(client, scoped, compress_calls):
    virtual_key, raw = scoped
    models = [{"id": f"gpt-{n}", "object": "model", "owned_by": "openai"} for n in range(200)]
    responses.get("https://api.openai.com/v1/models", json={"object": "list", "data": models})
    headers = {"x-portkey-api-key": raw, "x-portkey-virtual-key": virtual_key.slug, **GZIP}
    first = client.get("/v1/models", headers=headers)
    second = client.get("/v1/models", headers=headers)
    assert (first["x-portkey-cache-status"], second["x-portkey-cache-status"]) == ("MISS", "HIT")
    for answer in (first, second):
        assert answer["Content-Encoding"] == "gzip"
        body = json.loads(gzip.decompress(answer.content))
        assert [m["id"] for m in body["data"]] == [m["id"] for m in models]
    assert len(compress_calls) == 1
    assert len(responses.calls) == 1


@responses.activate
def test_list_filtered_per_request_is_still_gzipped_by_the_middleware(client):
    virtual_key = VirtualKeyFactory(base_url="https://api.openai.com/v1")
    _, raw = make_api_key(virtual_keys=[virtual_key], model_patterns=["gpt-1*"])
    models = [{"id": f"gpt-{n}", "object": "model", "owned_by": "openai"} for n in range(200)]
    responses.get("https://api.openai.com/v1/models", json={"object": "list", "data": models})
    headers = {"x-portkey-api-key": raw, "x-portkey-virtual-key": virtual_key.slug, **GZIP}
    answer = client.get("/v1/models", headers=headers)
    assert answer.status_code == 200
    assert answer["Content-Encoding"] == "gzip"
    ids = [m["id"] for m in json.loads(gzip.decompress(answer.content))["data"]]
    assert ids == [
        "gpt-1",
        *(f"gpt-{n}" for n in range(10, 20)),
        *(f"gpt-{n}" for n in range(100, 200)),
    ]


def test_short_or_incompressible_bodies_are_not_gzipped():
    assert RenderedJSON.of({"id": "x"}).with_gzip().gzipped is None
    assert RenderedJSON.of({"data": ["model"] * 120}).with_gzip().gzipped is None  # < 1 KiB
    large = RenderedJSON.of({"data": ["model"] * 130}).with_gzip()
    assert gzip.decompress(large.gzipped) == bytes(large)
    # Random bytes do not shrink: the gzip form would be larger, so none is kept.
    noise = RenderedJSON(random.Random(0).randbytes(2048)).with_gzip()
    assert noise.gzipped is None


MEDIA_TYPES = ["application/json", "*/*", "text/html", "application/*", "text/*;q=0.5", ""]


@settings(max_examples=300, deadline=None)
@given(
    accept=st.one_of(
        st.none(),
        st.lists(st.sampled_from(MEDIA_TYPES), max_size=3).map(", ".join),
        st.text(max_size=30),
    ),
    query=st.sampled_from(["", "format=json", "format=html", "form%61t=html", "limit=5"]),
    schema=st.booleans(),
)
def test_negotiation_answers_as_drfs(accept, query, schema):
    """The shortcut picks what DRF's own negotiation picks, or refuses as it does."""
    extra = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/v1/models?{query}", **extra))
    renderers = [OpenApiYamlRenderer(), OpenApiJsonRenderer()] if schema else [JSONRenderer()]

    def outcome(negotiation):
        try:
            renderer, media_type = negotiation.select_renderer(request, renderers)
        except (NotAcceptable, Http404) as error:
            return type(error).__name__
        return renderers.index(renderer), media_type

    assert outcome(rendering.Negotiation()) == outcome(DefaultContentNegotiation())


@pytest.mark.parametrize("count", [0, 1, 3, 7])
def test_a_list_rendered_in_chunks_is_the_same_json(count):
    items = [{"id": f"m-{n}", "price": n / 3, "tags": ["a", None]} for n in range(count)]
    tail = {"total_count": count, "limit": None, "has_more": False}
    body = RenderedJSON.of_list({"object": "list"}, items, lambda: tail, every=3)
    assert bytes(body) == orjson.dumps({"object": "list", "data": items, **tail})
