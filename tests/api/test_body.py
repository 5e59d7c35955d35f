"""The body of a model call: bounded by GATEWAY_MAX_REQUEST_BYTES, JSON, an object, a model."""

import io

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.test import RequestFactory

from models_api.api.body import read_json_body
from models_api.errors import InvalidRequest

PATH = "/v1/chat/completions"
BODY = b'{"model": "gpt-4o-mini",  "messages": [], "unknown_field": {"kept": true}}'


def post(body: bytes, **extra) -> WSGIRequest:
    return RequestFactory().post(PATH, data=body, content_type="application/json", **extra)


def chunked(body: bytes, **meta) -> WSGIRequest:
    """A chunked upload as a WSGI server presents it: no CONTENT_LENGTH, the body in
    wsgi.input up to its end."""
    environ = RequestFactory()._base_environ(
        PATH_INFO=PATH,
        REQUEST_METHOD="POST",
        CONTENT_TYPE="application/json",
        **{"wsgi.input": io.BytesIO(body)},
        **meta,
    )
    environ.pop("CONTENT_LENGTH", None)
    return WSGIRequest(environ)


def refused(request, **kwargs) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        read_json_body(request, **kwargs)
    return caught.value


def test_the_raw_bytes_and_the_parsed_object():
    body = read_json_body(post(BODY))
    assert body.raw == BODY
    assert body.data["unknown_field"] == {"kept": True}
    assert body.model == "gpt-4o-mini"
    assert body.stream is False


def test_a_body_over_django_s_own_limit_is_read(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2621440  # Django's default, kept for admin
    big = b'{"model": "m", "prompt": "' + b"x" * 3_000_000 + b'"}'
    assert read_json_body(post(big)).raw == big


def test_request_body_still_works_after_reading():
    request = post(BODY)
    read_json_body(request)
    assert request.body == BODY


def test_a_declared_length_over_the_limit_is_413_before_reading(settings):
    settings.GATEWAY_MAX_REQUEST_BYTES = 100
    request = post(BODY + b" " * 200)
    error = refused(request)
    assert error.status == 413
    assert error.code == "request_too_large"
    assert "GATEWAY_MAX_REQUEST_BYTES" in error.message
    assert not request._read_started  # nothing was read


def test_a_body_at_the_limit_is_read(settings):
    settings.GATEWAY_MAX_REQUEST_BYTES = len(BODY)
    assert read_json_body(post(BODY)).raw == BODY


@pytest.mark.parametrize(
    "meta",
    [
        {"HTTP_TRANSFER_ENCODING": "chunked"},  # gunicorn, Granian over HTTP/1.1
        {"wsgi.input_terminated": True},
        {"SERVER_PROTOCOL": "HTTP/2"},  # Granian over HTTP/2: framed, no Content-Length
    ],
)
def test_a_chunked_upload_is_read_without_a_content_length(meta):
    assert read_json_body(chunked(BODY, **meta)).raw == BODY


def test_a_chunked_upload_over_the_limit_is_413_after_limit_plus_one_bytes(settings):
    settings.GATEWAY_MAX_REQUEST_BYTES = 1000
    request = chunked(b" " * 5000 + BODY, HTTP_TRANSFER_ENCODING="chunked")
    assert refused(request).status == 413
    assert request.META["wsgi.input"].tell() == 1001


def test_without_a_length_or_an_end_nothing_is_read():
    error = refused(chunked(BODY))  # a read could wait for the connection's next request
    assert error.status == 400 and "empty" in error.message


def test_a_content_length_that_is_not_a_number_is_400():
    error = refused(post(BODY, CONTENT_LENGTH="12abc"))
    assert error.status == 400
    assert "Content-Length" in error.message


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"", "The request body is empty"),
        (b"   ", "The request body is empty"),
        (b'{"model": "m",', "The request body is not valid JSON: Expecting"),
        (b"model=gpt-4o", "The request body is not valid JSON: Expecting value at line 1 column 1"),
        (b'{"model": "\xff"}', "The request body is not valid JSON: it is not UTF-8"),
        (b"[1, 2]", "The request body must be a JSON object, not an array"),
        (b'"gpt-4o"', "The request body must be a JSON object, not a string"),
        (b"42", "The request body must be a JSON object, not a number"),
        (b"null", "The request body must be a JSON object, not null"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400_naming_the_problem(body, says):
    error = refused(post(body))
    assert error.status == 400
    assert error.code == "invalid_json"
    assert error.message.startswith(says)
    assert error.body()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"messages": []}', "missing_model"),
        (b'{"model": 4}', "invalid_model"),
        (b'{"model": ""}', "invalid_model"),
        (b'{"model": ["a"]}', "invalid_model"),
    ],
)
def test_a_body_without_a_string_model_is_400_with_param_model(body, code):
    error = refused(post(body))
    assert (error.status, error.param, error.code) == (400, "model", code)


@pytest.mark.parametrize("stream", [b'"true"', b"1", b"null"])
def test_stream_must_be_a_boolean(stream):
    error = refused(post(b'{"model": "m", "stream": ' + stream + b"}"))
    assert (error.status, error.param) == (400, "stream")


def test_stream_true_is_read():
    assert read_json_body(post(b'{"model": "m", "stream": true}')).stream is True


@pytest.mark.django_db
def test_the_admin_keeps_django_s_limit(client):
    big = "x" * 3_000_000
    response = client.post("/admin/login/", data={"username": "a", "password": big})
    assert response.status_code == 400
