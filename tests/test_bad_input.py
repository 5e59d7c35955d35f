"""Hostile requests through the real stack: each gets a 4xx in OpenAI's error shape, not a 500."""

import io
import json
import re

import pytest
import responses

from gateway_project.wsgi import application
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db

BIG = 100 * 1024
RAW = b"\xff\xfe\xc3(".decode("latin-1")  # invalid UTF-8, as a WSGI server hands it over


def assert_error(response, status, *, param="", contains=""):
    """An OpenAI-shaped error with this status; `param` and `contains` checked when given."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = json.loads(response.content)["error"]
    assert set(error) >= {"message", "type", "param", "code"}
    assert isinstance(error["message"], str) and error["message"]
    if param != "":
        assert error["param"] == param
    assert contains in error["message"]
    return error


@pytest.fixture
def key():
    return make_api_key()[1]


@pytest.fixture
def upstream():
    """Providers answer 404 for any model; no call leaves the process."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.get(re.compile(r".*"), status=404, json={"error": {"message": "no such model"}})
        yield mocked


def get(client, key, path="/v1/models", **headers):
    return client.get(path, headers={"x-portkey-api-key": key, **headers})


ROUTE_HEADERS = [
    "x-portkey-provider",
    "x-portkey-virtual-key",
    "x-portkey-config",
    "x-portkey-custom-host",
    "x-portkey-trace-id",
    "x-portkey-cache-force-refresh",
    "x-portkey-aws-region",
]
LONG = 10 * 1024  # over every header's own limit, under the limit on all headers together


@pytest.mark.parametrize("header", ROUTE_HEADERS)
def test_very_long_header_is_400_naming_it(client, key, header):
    response = get(client, key, **{header: "a" * LONG})
    assert_error(response, 400, param=header, contains="too long")
    assert len(response.content) < 2048  # the value is not echoed


@pytest.mark.parametrize("header", ROUTE_HEADERS)
def test_a_header_past_the_request_limit_is_431_naming_it(client, key, header):
    response = get(client, key, **{header: "a" * BIG})
    assert_error(response, 431, param=header, contains="too long")
    assert len(response.content) < 2048


def test_very_long_gateway_key_is_401(client):
    response = client.get("/v1/models", headers={"x-portkey-api-key": "gwk_" + "a" * LONG})
    assert_error(response, 401, contains="Invalid gateway API key")


def test_very_long_bearer_gateway_key_is_401(client):
    response = client.get("/v1/models", headers={"authorization": "Bearer gwk_" + "a" * LONG})
    assert_error(response, 401)


@pytest.mark.parametrize(
    "header, param",
    [
        ("x-portkey-provider", "x-portkey-provider"),
        ("x-portkey-virtual-key", "x-portkey-virtual-key"),
        ("x-portkey-trace-id", "x-portkey-trace-id"),
        ("x-portkey-custom-host", "x-portkey-custom-host"),
        ("x-portkey-config", "x-portkey-config"),
        ("x-portkey-azure-resource-name", "x-portkey-azure-resource-name"),
        ("x-portkey-aws-secret-access-key", "x-portkey-aws-secret-access-key"),
        ("authorization", "authorization"),
    ],
)
def test_non_utf8_header_bytes_are_400(client, key, header, param):
    value = f"Bearer {RAW}" if header == "authorization" else RAW
    response = get(client, key, **{header: value})
    assert_error(response, 400, param=param)
    assert RAW.encode("latin-1") not in response.content


def test_non_utf8_gateway_key_is_401(client):
    assert_error(client.get("/v1/models", headers={"x-portkey-api-key": "gwk_" + RAW}), 401)


def test_control_characters_in_headers_are_400(client, key):
    for value in ("open\x00ai", "open\x1bai", "a\x7f"):
        assert_error(get(client, key, x_portkey_provider=value), 400, param="x-portkey-provider")


@pytest.mark.parametrize(
    "header, value, status",
    [
        ("x-portkey-provider", "openai,anthropic", 400),
        ("x-portkey-provider", "openai, openai", 400),
        ("x-portkey-virtual-key", "prod,staging", 400),
        ("x-portkey-trace-id", "a,b", 400),
    ],
)
def test_duplicated_header_is_400_naming_it(client, key, header, value, status):
    # WSGI servers join a repeated header with ","; the Django client passes that value as is.
    error = assert_error(get(client, key, **{header: value}), status, param=header)
    assert header in error["message"]


def test_duplicated_gateway_key_is_401(client, key):
    response = client.get("/v1/models", headers={"x-portkey-api-key": f"{key},{key}"})
    assert_error(response, 401)


def test_duplicated_provider_in_raw_wsgi_is_400(in_process_wsgi):
    """The same, through the WSGI entry point with a raw environ, as the server calls it."""
    _, raw_key = make_api_key()
    status, body = call_wsgi(
        "/v1/models",
        HTTP_X_PORTKEY_API_KEY=raw_key,
        HTTP_X_PORTKEY_PROVIDER="openai,anthropic",
    )
    assert status.startswith("400")
    assert body["error"]["param"] == "x-portkey-provider"


def test_non_utf8_path_in_raw_wsgi_is_a_model_id_like_any_other(in_process_wsgi):
    """Django percent-encodes the bytes that are not UTF-8, so the id is looked up: a 404."""
    _, raw_key = make_api_key()
    status, body = call_wsgi("/v1/models/" + RAW, HTTP_X_PORTKEY_API_KEY=raw_key)
    assert status == "404 Not Found"
    assert body["error"]["code"] == "model_not_found"
    assert "'%FF%FE%C3('" in body["error"]["message"]


def test_non_utf8_query_in_raw_wsgi_is_searched_for_as_decoded(in_process_wsgi):
    """Django decodes the query with replacement characters: a search that finds nothing."""
    _, raw_key = make_api_key()
    CatalogEntryFactory(model_id="gpt-4o")
    status, body = call_wsgi(
        "/v1/models", QUERY_STRING="search=" + RAW, HTTP_X_PORTKEY_API_KEY=raw_key
    )
    assert status == "200 OK"
    assert (body["object"], body["data"], body["total_count"]) == ("list", [], 0)


@pytest.mark.parametrize("count", [101, 1_000, 1_001, 5_000])
def test_thousands_of_query_parameters_are_400(client, key, count):
    query = "&".join(f"p{i}=1" for i in range(count))
    error = assert_error(get(client, key, f"/v1/models?{query}"), 400)
    assert "Too many query parameters" in error["message"]


def test_thousands_of_repeats_of_one_parameter_are_400(client, key):
    query = "&".join(["limit=1"] * 5_000)
    assert_error(get(client, key, f"/v1/models?{query}"), 400)


def test_huge_query_value_is_400(client, key):
    assert_error(get(client, key, "/v1/models?search=" + "x" * LONG), 400, param="search")


def test_a_url_past_the_request_limit_is_414(client, key):
    assert_error(get(client, key, "/v1/models?search=" + "x" * BIG), 414, contains="too long")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/models/..",
        "/v1/models/.",
        "/v1/models/a/../b",
        "/v1/models/a%2F..%2Fb",
        "/v1/models/%2e%2e",
        "/v1/models/@vk/..",
        "/v1/models/a%00b",
        "/v1/models/a%09b",
        "/v1/models/" + "m" * 600,
    ],
)
def test_escaping_or_unprintable_model_ids_are_400(client, key, upstream, path):
    assert_error(get(client, key, path), 400, param="model")
    assert_error(get(client, key, path, x_portkey_provider="openai"), 400, param="model")
    assert len(upstream.calls) == 0  # refused before any provider is called


def test_line_breaks_in_a_model_id_match_no_route(client, key):
    # The id pattern stops at a line break: an unknown URL, answered as JSON, never a header.
    response = get(client, key, "/v1/models/a%0d%0aSet-Cookie:%20x=1")
    assert_error(response, 404)
    assert "x" not in response.cookies


@pytest.mark.parametrize(
    "path, model_id",
    [
        ("/v1/models/%E6%A8%A1%E5%9E%8B", "模型"),
        ("/v1/models/%F0%9F%A4%96-bot", "🤖-bot"),
        ("/v1/models/caf%C3%A9", "café"),
        ("/v1/models/%FF%FE", "%FF%FE"),  # not UTF-8: Django keeps it percent-encoded
        ("/v1/models/a%2Fb", "a/b"),
    ],
)
def test_unicode_model_ids_are_looked_up_not_refused(client, key, upstream, path, model_id):
    error = assert_error(get(client, key, path), 404, param="model")
    assert model_id in error["message"]
    assert_error(get(client, key, path, x_portkey_provider="openai"), 404)
    assert len(upstream.calls) == 1


def test_unicode_catalog_id_is_found(client, key):
    entry = CatalogEntryFactory(virtual_key=VirtualKeyFactory(slug="intl"), model_id="模型-ü")
    response = get(client, key, "/v1/models/%40intl/%E6%A8%A1%E5%9E%8B-%C3%BC")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == entry.public_id == "@intl/模型-ü"


@pytest.mark.parametrize(
    "config, param",
    [
        ('{"provider": "openai", "api_key": "a\\nb"}', "x-portkey-config"),
        ('{"provider": "openai", "api_key": "\\u20ac-key"}', "x-portkey-config"),
        ('{"provider": "openai", "api_key": "nul\\u0000"}', "x-portkey-config"),
        ('{"provider": "openai", "api_key": 7}', "x-portkey-config"),
        ('{"provider": ["openai"]}', "x-portkey-config"),
        ('{"provider": "openai", "custom_host": "http://a\\nb"}', "x-portkey-custom-host"),
        ('"just a string"', "x-portkey-config"),
        ("[" * 8_000, "x-portkey-config"),
        ('{"a": ' * 1_500 + "1" + "}" * 1_500, "x-portkey-config"),
    ],
)
def test_hostile_configs_are_400_before_any_call(client, key, upstream, config, param):
    assert_error(get(client, key, x_portkey_config=config), 400, param=param)
    assert len(upstream.calls) == 0


def test_disallowed_host_is_openai_json_400(client, key):
    response = client.get("/v1/models", headers={"x-portkey-api-key": key}, HTTP_HOST="evil.test")
    assert_error(response, 400)


def call_wsgi(path, **environ):
    """Call the WSGI application as a server would: str values are bytes decoded as latin-1."""
    base = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    started = []
    chunks = application({**base, **environ}, lambda status, headers: started.append(status))
    body = b"".join(chunks)
    return started[0], json.loads(body)
