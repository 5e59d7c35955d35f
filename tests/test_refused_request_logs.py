"""Requests Django refuses with a 400: one short WARNING line each, a bounded number a minute."""

import io
import logging
import re

import pytest
from django.test import Client

from models_api import logging_filters
from models_api.logging_filters import RefusedRequestLines

pytestmark = pytest.mark.django_db

LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING django\.security\.\w+ \S")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


@pytest.fixture
def security_log(monkeypatch):
    """The lines the django.security handler writes, from a fresh filter and a fake clock."""
    (handler,) = logging.getLogger("django.security").handlers
    stream, clock = io.StringIO(), Clock()
    monkeypatch.setattr(handler, "filters", [RefusedRequestLines(per_minute=10)])
    monkeypatch.setattr(handler, "stream", stream)
    monkeypatch.setattr(logging_filters, "time", clock)
    stream.clock = clock
    return stream


def lines(stream) -> list[str]:
    return stream.getvalue().splitlines()


def test_a_bad_host_header_is_one_warning_line(security_log):
    response = Client().get("/v1/models", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    (line,) = lines(security_log)
    assert LINE.match(line), line
    assert "DisallowedHost Invalid HTTP_HOST header: 'evil.example'." in line
    assert line.endswith("(GET /v1/models)")


def test_a_flood_is_cut_to_the_limit_and_the_rest_is_counted(security_log):
    client = Client()
    for n in range(50):
        assert client.get("/admin/", HTTP_HOST=f"flood-{n}.example").status_code == 400
    written = lines(security_log)
    assert len(written) == 10
    assert all(LINE.match(line) for line in written)
    assert "limit of 10 a minute reached" in written[-1]

    security_log.clock.now += 60
    client.get("/admin/", HTTP_HOST="after.example")
    assert len(lines(security_log)) == 11
    assert "[40 more like this left out in the previous minute]" in lines(security_log)[-1]


def test_caller_text_stays_on_one_short_line(security_log):
    Client().get("/v1/models", HTTP_HOST="é" * 400 + ".example")
    (line,) = lines(security_log)
    assert len(line) < 500 and line.isascii()


@pytest.mark.parametrize(
    ("request_kind", "logger"),
    [
        ("too many query fields on the admin", "TooManyFieldsSent"),
        ("too many query fields on the API", "TooManyFieldsSent"),
        ("too many form fields", "TooManyFieldsSent"),
        ("body over the limit", "RequestDataTooBig"),
        ("bad host on the admin", "DisallowedHost"),
        ("missing CSRF token", "csrf"),
    ],
)
def test_every_refused_request_is_one_line(security_log, settings, request_kind, logger):
    if request_kind == "body over the limit":
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    many = "&".join(f"f{i}=1" for i in range(30))
    client = Client(enforce_csrf_checks=request_kind == "missing CSRF token")
    response = {
        "too many query fields on the admin": lambda: client.get(f"/admin/login/?{many}"),
        "too many query fields on the API": lambda: client.get(f"/v1/models?{many}"),
        "too many form fields": lambda: client.post(
            "/admin/login/", {f"f{i}": "1" for i in range(30)}
        ),
        "body over the limit": lambda: client.post("/admin/login/", {"username": "x" * 200}),
        "bad host on the admin": lambda: client.get("/admin/login/", HTTP_HOST="bad host"),
        "missing CSRF token": lambda: client.post("/admin/login/", {"username": "x"}),
    }[request_kind]()
    assert response.status_code in (400, 403)
    (line,) = lines(security_log)
    assert LINE.match(line) and f"django.security.{logger} " in line, line
