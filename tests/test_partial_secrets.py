"""A provider that echoes part of a key: no piece of it reaches callers, admins or logs."""

import io
import logging

import pytest
import responses
from django.core.management import CommandError, call_command

from keys.admin_actions import connection_message, virtual_key_connection_test
from models_api.models import SyncRun
from models_api.providers import get_client
from tests.factories import VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db

OPENAI = "https://api.openai.com/v1/models"
KEY = "sk-echo-Zq81mVx4Lr0Tb7Wn2Kd9-Hs5F"
# What providers print of a key they refuse (OpenAI, Groq, Mistral and others do this).
ECHOES = [
    f"{KEY[:8]}...{KEY[-4:]}",
    f"{KEY[:5]}***{KEY[-2:]}",
    f"{KEY[:8]}{'*' * 24}{KEY[-4:]}",
    KEY[:14],
    KEY[9:20],
    KEY[-12:],
]


def leaks(text: str) -> list[str]:
    text = text.replace(f"••••{KEY[-4:]}", "")  # the admin's own mask, shown by design
    runs = {KEY[i : i + 8] for i in range(len(KEY) - 7)} | {KEY[-4:], KEY[:6]}
    return sorted(run for run in runs if run in text)


def refuse(mocked, echo):
    message = f"Incorrect API key provided: {echo}. You can find your API key in the dashboard."
    mocked.get(OPENAI, status=401, json={"error": {"message": message, "code": "invalid_api_key"}})


@pytest.mark.parametrize("echo", ECHOES)
def test_api_callers_get_the_message_without_the_key(client, echo):
    VirtualKeyFactory(slug="prod", credential=KEY)
    gateway_key = make_api_key()[1]
    own = {"x-portkey-provider": "openai", "authorization": f"Bearer {KEY}"}
    for route in ({"x-portkey-virtual-key": "prod"}, own):
        with responses.RequestsMock() as mocked:
            refuse(mocked, echo)
            response = client.get(
                "/v1/models",
                headers={"x-portkey-api-key": gateway_key, "x-portkey-cache-force-refresh": "true"}
                | route,
            )
        assert response.status_code == 401
        message = response.json()["error"]["message"]
        assert "Incorrect API key provided: [REDACTED]. You can find your API key" in message
        assert leaks(response.content.decode()) == []


@pytest.mark.parametrize("echo", ECHOES)
def test_the_connection_test_message_hides_the_key(admin_client, echo):
    virtual_key = VirtualKeyFactory(slug="prod", credential=KEY)
    with responses.RequestsMock() as mocked:
        refuse(mocked, echo)
        result = virtual_key_connection_test(virtual_key=virtual_key)
        refuse(mocked, echo)
        page = admin_client.post(
            f"/admin/keys/virtualkey/{virtual_key.pk}/test-connection/", follow=True
        )
    text = connection_message(result)[1]
    assert "Incorrect API key provided: [REDACTED]" in text
    body = page.content.decode()
    assert "Connection test of prod (openai) failed" in body
    assert leaks(text) == [] and leaks(body) == []


@pytest.mark.parametrize("echo", ECHOES)
def test_the_sync_run_its_page_and_the_command_output_hide_the_key(admin_client, echo):
    VirtualKeyFactory(slug="prod", credential=KEY)
    out = io.StringIO()
    with responses.RequestsMock() as mocked:
        refuse(mocked, echo)
        with pytest.raises(CommandError, match="1 of 1 virtual keys failed"):
            call_command("sync_models", stdout=out, stderr=out)
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.FAILED
    assert "[REDACTED]" in run.error
    page = admin_client.get(f"/admin/models_api/syncrun/{run.pk}/change/").content.decode()
    dashboard = admin_client.get("/admin/dashboard/").content.decode()
    for text in (out.getvalue(), run.error, str(run.results), page, dashboard):
        assert leaks(text) == []


def test_a_client_bug_quoting_the_key_is_logged_without_it(admin_client, caplog, monkeypatch):
    virtual_key = VirtualKeyFactory(slug="prod", credential=KEY)

    def broken(self, target, query=None):
        raise KeyError(f"unexpected field near {target.credential[:10]}…{target.credential[-6:]}")

    monkeypatch.setattr(type(get_client("openai")), "list_models", broken)
    caplog.set_level(logging.INFO)
    result = virtual_key_connection_test(virtual_key=virtual_key)
    with pytest.raises(CommandError):
        call_command("sync_models", stdout=io.StringIO(), stderr=io.StringIO())
    assert result.error.startswith("Internal error (KeyError)")
    assert "KeyError" in caplog.text and "unexpected field near" in caplog.text
    assert leaks(caplog.text) == []
    assert leaks(SyncRun.objects.get().error) == []
