"""Before any view: a JSON 414 for a long URL, 431 for big headers, 400 for a NUL in a query."""

import pytest

from models_api.api.limits import MAX_HEADER_BYTES, MAX_HEADERS, MAX_TARGET_BYTES, limit_exceeded

pytestmark = pytest.mark.django_db


def assert_json_error(response, status: int, code: str):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert (error["code"], error["type"]) == (code, "invalid_request_error")
    assert response["x-portkey-trace-id"]  # it went through the gateway's own middleware


@pytest.mark.parametrize("path", ["/v1/models", "/healthz", "/admin/"])
def test_a_url_over_the_limit_is_a_json_414(client, path):
    response = client.get(path, {"search": "a" * MAX_TARGET_BYTES})
    assert_json_error(response, 414, "uri_too_long")


def test_a_url_at_the_limit_passes(client):
    query = "a" * (MAX_TARGET_BYTES - len("/healthz") - len("x="))
    assert client.get(f"/healthz?x={query}").status_code == 200


def test_headers_over_the_size_limit_are_a_json_431(client):
    response = client.get("/v1/models", headers={"x-big": "a" * MAX_HEADER_BYTES})
    assert_json_error(response, 431, "request_headers_too_large")
    assert "a" * 100 not in response.content.decode()  # the header itself is not echoed


def test_too_many_headers_are_a_json_431(client):
    headers = {f"x-h{n}": "v" for n in range(MAX_HEADERS + 1)}
    response = client.get("/healthz", headers=headers)
    assert_json_error(response, 431, "request_headers_too_large")


def test_what_counts_as_a_header():
    meta = {f"HTTP_X_{n}": "v" for n in range(MAX_HEADERS - 1)}
    meta |= {"CONTENT_TYPE": "text/plain", "PATH_INFO": "/", "SERVER_NAME": "x" * 10**6}
    assert limit_exceeded(meta) is None  # 64 headers; server variables are not headers
    meta["CONTENT_LENGTH"] = "0"
    assert limit_exceeded(meta).status == 431


@pytest.mark.parametrize("path", ["/healthz", "/admin/login/"])
def test_a_control_character_in_the_query_is_a_json_400_on_any_route(client, path):
    response = client.get(f"{path}?next=a%00b")
    assert_json_error(response, 400, "invalid_parameter")
    assert response.json()["error"]["param"] == "next"


def test_an_overlong_query_is_a_414_before_its_characters_are_read(client):
    response = client.get(f"/healthz?x=%00{'a' * MAX_TARGET_BYTES}")
    assert_json_error(response, 414, "uri_too_long")
