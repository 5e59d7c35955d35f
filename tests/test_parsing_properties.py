"""Property-based tests of header, config and query parsing: a result or a 400, nothing else."""

import json

from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from keys.models import KEY_PREFIX
from models_api.api.routing import CREDENTIAL_HEADERS, OPTION_HEADERS, Route, route_read
from models_api.catalog.query import PARAMS, Query, query_parse
from models_api.errors import InvalidRequest
from models_api.providers import provider_names

BOUNDED = settings(max_examples=200, deadline=None, derandomize=True, database=None)
HEADERS = [
    "x-portkey-provider",
    "x-portkey-virtual-key",
    "x-portkey-config",
    "x-portkey-custom-host",
    "x-portkey-trace-id",
    "x-portkey-cache-force-refresh",
    "x-portkey-api-key",
    "authorization",
    *(f"x-portkey-{name}" for name in OPTION_HEADERS),
    *(f"x-portkey-{name}" for name in CREDENTIAL_HEADERS),
]
PROVIDERS = st.sampled_from(provider_names())
SLUGS = st.from_regex(r"\A[A-Za-z0-9_\-]{1,100}\Z")
# What a WSGI server hands over: any byte, decoded as latin-1.
WSGI_TEXT = st.text(st.characters(max_codepoint=0xFF), max_size=200)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
CONFIGS = st.fixed_dictionaries(
    {},
    optional={
        "provider": PROVIDERS | st.text(max_size=20) | JSON,
        "virtual_key": SLUGS | JSON,
        "api_key": st.text(max_size=40) | JSON,
        "custom_host": st.text(max_size=40),
    },
)
VALUES = (
    WSGI_TEXT
    | PROVIDERS
    | SLUGS.map("@{}".format)
    | CONFIGS.map(json.dumps)
    | st.sampled_from(["true", "false", "Bearer OPENAI_API_KEY", "http://127.0.0.1:1/v1"])
)


def request_with(headers: dict[str, str]):
    return RequestFactory().get("/v1/models", headers=headers)


def read(headers: dict[str, str]) -> Route | InvalidRequest:
    """route_read's result, or the InvalidRequest it raised; any other exception fails."""
    try:
        return route_read(request_with(headers))
    except InvalidRequest as error:
        return error


def sendable(value: str) -> bool:
    return value.isascii() and value.isprintable()


@BOUNDED
@given(st.dictionaries(st.sampled_from(HEADERS), VALUES, max_size=6))
def test_any_headers_give_a_route_or_a_400(headers):
    result = read(headers)
    if isinstance(result, InvalidRequest):
        assert result.status == 400
        assert result.body()["error"]["message"]
        return
    # Whatever is forwarded to a provider can go out as a header value.
    assert sendable(result.credential)
    assert not result.credential.startswith(KEY_PREFIX)
    assert all(sendable(value) for value in result.options.values())
    assert result.provider in ("", *provider_names())


@BOUNDED
@given(CONFIGS | JSON)
def test_any_config_gives_a_route_or_a_400_naming_a_header(config):
    result = read({"x-portkey-config": json.dumps(config)})
    if isinstance(result, InvalidRequest):
        assert result.param is None or result.param.startswith("x-portkey-")
    else:
        assert isinstance(config, dict)


@BOUNDED
@given(PROVIDERS, st.from_regex(r"\A[A-Za-z0-9._:\-]{1,128}\Z"))
def test_provider_and_trace_id_round_trip(provider, trace_id):
    route = read({"x-portkey-provider": provider, "x-portkey-trace-id": trace_id})
    assert (route.provider, route.virtual_key, route.trace_id) == (provider, "", trace_id)
    # The same provider through the config reads the same; through both, too.
    assert read({"x-portkey-config": json.dumps({"provider": provider})}).provider == provider
    both = {"x-portkey-provider": provider, "x-portkey-config": json.dumps({"provider": provider})}
    assert read(both).provider == provider


@BOUNDED
@given(SLUGS)
def test_virtual_key_spellings_agree(slug):
    routes = [
        read({"x-portkey-virtual-key": slug}),
        read({"x-portkey-provider": f"@{slug}"}),
        read({"x-portkey-config": json.dumps({"virtual_key": slug})}),
    ]
    assert {(r.provider, r.virtual_key) for r in routes} == {("", slug)}


@BOUNDED
@given(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=8, max_size=80))
def test_credential_round_trips_and_never_shows_in_repr(token):
    route = read({"authorization": f"Bearer {token}", "x-portkey-provider": "openai"})
    forwarded = "" if token.startswith(KEY_PREFIX) else token
    # The Portkey SDK's placeholder means "no Authorization" only as a Bearer token.
    assert route.credential == ("" if token == "OPENAI_API_KEY" else forwarded)
    config = json.dumps({"provider": "openai", "api_key": token})
    assert read({"x-portkey-config": config}).credential == forwarded
    # A token that is itself part of the repr's fixed text ("virtual_") proves nothing.
    shown = repr(Route(provider=route.provider, virtual_key=route.virtual_key))
    if token not in shown:
        assert token not in repr(route) and token not in str(route)


@BOUNDED
@given(st.dictionaries(st.sampled_from(sorted(PARAMS)) | st.text(max_size=10), WSGI_TEXT))
def test_any_catalog_query_gives_a_query_or_a_400_naming_the_parameter(params):
    try:
        query = query_parse(params=params)
    except InvalidRequest as error:
        assert error.status == 400
        assert error.param in params or error.param in PARAMS
    else:
        assert isinstance(query, Query)
        assert (query.limit is None or 1 <= query.limit <= 1000) and query.offset >= 0
