"""No gateway key or provider credential in responses, logs, admin pages, commands or reports."""

import io
import logging
import re
import secrets
import sys

import pytest
import requests
import responses
from django.core.management import call_command
from django.views.debug import ExceptionReporter

from keys.models import ApiKey, VirtualKey
from models_api.api import services
from models_api.api.routing import Route, route_read
from models_api.providers.base import Target
from tests.factories import VirtualKeyFactory, make_api_key
from tests.fake_provider import FakeProvider, serve

pytestmark = pytest.mark.django_db

OPENAI = "https://api.openai.com/v1/models"
ANTHROPIC = "https://api.anthropic.com/v1/models"
GOOGLE = re.compile(r"https://generativelanguage\.googleapis\.com/.*")
MODELS = {"object": "list", "data": [{"id": "gpt-4o", "object": "model", "created": 1}]}


def secret(prefix: str) -> str:
    return f"{prefix}{secrets.token_urlsafe(24)}"


@pytest.fixture
def all_logs(caplog):
    """Every record of every logger at DEBUG, whatever level the settings gave each logger."""
    loggers = [logging.getLogger(name) for name in logging.root.manager.loggerDict]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    yield caplog
    for logger, level in levels:
        logger.setLevel(level)


class Seen:
    """Everything the run showed anyone: bodies, headers, log text, command output."""

    def __init__(self):
        self.parts: list[str] = []

    def response(self, response):
        self.parts.append(response.content.decode("utf-8", "replace"))
        self.parts.extend(f"{name}: {value}" for name, value in response.items())
        return response

    def text(self, value: str):
        self.parts.append(value)

    def leaks(self, value: str) -> list[str]:
        # The whole value, or a 12-character piece of it (a partial echo); a gateway key's
        # first 12 characters are its display prefix, which is shown by design.
        pieces = {value} | {value[i : i + 12] for i in range(4, len(value) - 11, 4)}
        return [p[:200] for p in self.parts if any(piece in p for piece in pieces)]


def get(client, seen, path="/v1/models", **headers):
    return seen.response(client.get(path, headers=headers))


def test_a_full_run_leaks_no_secret(client, admin_client, all_logs, monkeypatch, settings):
    seen = Seen()
    api_key, gateway_key = make_api_key()
    revoked_key = make_api_key(name="revoked")[1]
    ApiKey.objects.filter(name="revoked").update(is_active=False)
    unknown_key = secret("gwk_")
    caller = {name: secret(f"sk-{name}-") for name in ("openai", "anthropic", "google", "loop")}
    stored = secret("sk-stored-")
    virtual_key = VirtualKeyFactory(slug="prod", provider="openai", credential=stored)
    command_credential = secret("sk-command-")
    used = [gateway_key, revoked_key, unknown_key, stored, command_credential, *caller.values()]

    # Gateway keys: valid in either header, then revoked, unknown and malformed ones.
    assert get(client, seen, x_portkey_api_key=gateway_key).status_code == 200
    assert get(client, seen, authorization=f"Bearer {gateway_key}").status_code == 200
    for bad in (revoked_key, unknown_key, gateway_key[:-2], f"{gateway_key},{gateway_key}"):
        assert get(client, seen, x_portkey_api_key=bad).status_code == 401

    # Provider routes with the caller's credential; the providers' errors echo it back.
    key = {"x_portkey_api_key": gateway_key}
    with responses.RequestsMock() as mocked:
        mocked.get(OPENAI, json=MODELS)
        mocked.get(OPENAI, status=401, json={"error": {"message": f"Bad key {caller['openai']}"}})
        bearer = f"Bearer {caller['openai']}"
        assert get(client, seen, x_portkey_provider="openai", authorization=bearer, **key)
        refresh = {"x_portkey_cache_force_refresh": "true", "authorization": bearer}
        assert get(client, seen, x_portkey_provider="openai", **refresh, **key).status_code == 401

        mocked.get(ANTHROPIC, status=403, body=f"key {caller['anthropic']} is disabled")
        bearer = f"Bearer {caller['anthropic']}"
        response = get(client, seen, x_portkey_provider="anthropic", authorization=bearer, **key)
        assert response.status_code == 403

        # A network failure whose text quotes a URL with ?key=, then a 400 echoing the key.
        url_in_error = f"Max retries exceeded with url: /v1beta/models?key={caller['google']}"
        mocked.get(GOOGLE, body=requests.exceptions.ConnectionError(url_in_error))
        mocked.get(GOOGLE, body=requests.exceptions.ConnectionError(url_in_error))
        mocked.get(GOOGLE, body=requests.exceptions.ConnectionError(url_in_error))
        config = f'{{"provider": "google", "api_key": "{caller["google"]}"}}'
        assert get(client, seen, x_portkey_config=config, **key).status_code == 502
        mocked.get(GOOGLE, status=400, json={"error": {"message": f"key={caller['google']}"}})
        refresh = {"x_portkey_cache_force_refresh": "true"}
        assert get(client, seen, x_portkey_config=config, **refresh, **key).status_code == 400

        # The virtual key's stored credential, on list and retrieve, then echoed in an error.
        mocked.get(OPENAI, json=MODELS)
        mocked.get(f"{OPENAI}/gpt-4o", status=403, json={"error": {"message": f"{stored} no"}})
        assert get(client, seen, x_portkey_provider="@prod", **key).status_code == 200
        response = get(client, seen, "/v1/models/gpt-4o", x_portkey_virtual_key="prod", **key)
        assert response.status_code == 403

    # A real HTTP exchange on loopback, so urllib3's own debug logging is in the capture too.
    with serve(FakeProvider(api_key=caller["loop"])) as url:
        settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [url.removeprefix("http://")]
        for credential, status in ((caller["loop"], 200), (caller["openai"], 401)):
            response = get(
                client,
                seen,
                x_portkey_provider="openai",
                x_portkey_custom_host=f"{url}/v1",
                authorization=f"Bearer {credential}",
                **key,
            )
            assert response.status_code == status

    # A bug in the gateway: the 500 path, with its logged traceback.
    def crash(**kwargs):
        raise RuntimeError("access exploded")

    monkeypatch.setattr(services, "access_resolve", crash)
    bearer = f"Bearer {caller['openai']}"
    response = get(client, seen, authorization=bearer, **key)
    assert response.status_code == 500, response.content
    monkeypatch.undo()

    # Admin pages for both kinds of key: a masked tail at most.
    for page in (
        "/admin/keys/virtualkey/",
        f"/admin/keys/virtualkey/{virtual_key.pk}/change/",
        f"/admin/keys/virtualkey/{virtual_key.pk}/history/",
        f"/admin/keys/virtualkey/?q={stored[-6:]}",
        "/admin/keys/apikey/",
        f"/admin/keys/apikey/{api_key.pk}/change/",
        f"/admin/keys/apikey/{api_key.pk}/created/",
    ):
        assert seen.response(admin_client.get(page)).status_code == 200, page
    assert f"••••{stored[-4:]}" in "".join(seen.parts)

    # Commands: the virtual key's credential arrives by environment; output shows its tail.
    monkeypatch.setenv("PROVIDER_SECRET", command_credential)
    new_key = run(seen, "create_api_key", "--name", "ci", "--all")
    run(seen, "create_virtual_key", "--name", "cmd", "--provider", "openai",
        "--credential-env", "PROVIDER_SECRET")  # fmt: skip
    run(seen, "revoke_api_key", ApiKey.objects.get(name="ci").prefix)
    run(seen, "rotate_encryption_key")
    assert VirtualKey.objects.get(name="cmd").credential == command_credential

    # factory_boy's own debug records show test data being built: not the gateway's output.
    records = [r for r in all_logs.records if not r.name.startswith("factory")]
    log_text = "\n".join(all_logs.handler.format(record) for record in records)
    seen.text(log_text)
    assert "access exploded" in log_text  # the traceback was captured
    assert "urllib3" in log_text  # and the HTTP client's debug lines
    for value in used:
        assert seen.leaks(value) == [], f"{value[:8]}… leaked"
    # The new key is printed once, alone on the command's last line, and logged nowhere.
    assert new_key.startswith("gwk_") and new_key not in log_text


def run(seen: Seen, *args) -> str:
    """Run a command, recording its stdout and stderr; returns stdout's last line."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    lines = out.getvalue().strip().splitlines()
    seen.text("\n".join(lines[:-1]) if args[0] == "create_api_key" else out.getvalue())
    seen.text(err.getvalue())
    return lines[-1]


def test_reprs_never_show_credentials():
    credential = secret("sk-repr-")
    target = Target("openai", credential, "https://api.openai.com/v1")
    route = Route(provider="openai", credential=credential, gateway_key=secret("gwk_"))
    for text in (repr(target), str(target), repr(route), str(route)):
        assert credential not in text and "gwk_" not in text
    api_key, raw = make_api_key()
    assert raw not in repr(api_key) and raw not in str(api_key)
    virtual_key = VirtualKeyFactory(credential=credential)
    assert credential not in repr(virtual_key) and credential not in str(virtual_key)


def test_500_response_has_no_traceback_and_reports_hide_keys(client, monkeypatch, rf):
    """With DEBUG off the body is generic; an error report (mail_admins) hides the headers."""
    gateway_key, credential = make_api_key()[1], secret("sk-report-")

    def crash(**kwargs):
        raise RuntimeError("access exploded")

    monkeypatch.setattr(services, "access_resolve", crash)
    headers = {"x-portkey-api-key": gateway_key, "authorization": f"Bearer {credential}"}
    response = client.get("/v1/models", headers=headers)
    assert response.status_code == 500
    assert b"Traceback" not in response.content and b"exploded" not in response.content

    request = rf.get("/v1/models", headers=headers)
    try:
        route_read(request)
        crash()
    except RuntimeError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert "access exploded" in report
    assert gateway_key not in report and credential not in report


def test_error_reports_hide_a_config_api_key(rf):
    # Django's report filter hides META names containing KEY: every HTTP_X_PORTKEY_* header.
    credential = secret("sk-config-")
    config = f'{{"provider": "openai", "api_key": "{credential}"}}'
    request = rf.get("/v1/models", headers={"x-portkey-config": config})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert credential not in report


def test_a_long_provider_error_does_not_echo_part_of_the_key(client):
    gateway_key, credential = make_api_key()[1], secret("sk-long-")
    message = "x" * 490 + " " + credential
    headers = {
        "x-portkey-api-key": gateway_key,
        "x-portkey-provider": "openai",
        "authorization": f"Bearer {credential}",
    }
    with responses.RequestsMock() as mocked:
        mocked.get(OPENAI, status=401, json={"error": {"message": message}})
        response = client.get("/v1/models", headers=headers)
    assert response.status_code == 401
    assert credential[:9].encode() not in response.content
