"""Two gateway processes: one (its own server and database) is the other's control plane."""

import pytest

from tests.factories import make_api_key
from tests.fake_provider import FakeProvider, serve
from tests.scale.stack import sqlite_stack, sqlite_template

pytestmark = pytest.mark.django_db
PROVIDER_KEY = "sk-fake-provider-key-5678"


@pytest.fixture
def control_plane(tmp_path):
    """A second gateway whose catalog was synced from a fake provider on 127.0.0.1."""
    fake = FakeProvider(models=["gpt-4o", "gpt-4o-mini"], api_key=PROVIDER_KEY)
    with serve(fake) as provider_url:
        trusted = provider_url.removeprefix("http://")
        template = sqlite_template(tmp_path)
        with sqlite_stack(template, tmp_path, GATEWAY_TRUSTED_CUSTOM_HOSTS=trusted) as stack:
            stack.check(
                "create_virtual_key",
                "--name",
                "Fake OpenAI",
                "--provider",
                "openai",
                "--base-url",
                provider_url + "/v1",
                "--credential-env",
                "FAKE_KEY",
                FAKE_KEY=PROVIDER_KEY,
            )
            stack.check("sync_models")
            _, key = stack.api_key("edge gateway", "--all")
            [gateway] = stack.gateways(1)
            yield gateway.url + "/v1", key


def test_catalog_comes_from_the_control_plane(client, settings, control_plane):
    url, control_key = control_plane
    settings.GATEWAY_CONTROL_PLANE_URL = url
    settings.GATEWAY_CONTROL_PLANE_API_KEY = control_key
    _, local_key = make_api_key()
    headers = {"x-portkey-api-key": local_key}

    listed = client.get("/v1/models?sort=id", headers=headers)
    assert listed.status_code == 200, listed.content
    body = listed.json()
    assert [m["id"] for m in body["data"]] == ["@fake-openai/gpt-4o", "@fake-openai/gpt-4o-mini"]
    assert body["total_count"] == 2
    assert body["data"][0]["provider"] == "openai"
    assert listed["x-portkey-cache-status"] == "MISS"
    assert client.get("/v1/models?sort=id", headers=headers)["x-portkey-cache-status"] == "HIT"

    one = client.get("/v1/models/@fake-openai/gpt-4o-mini", headers=headers)
    assert one.status_code == 200, one.content
    assert one.json()["slug"] == "gpt-4o-mini"

    missing = client.get("/v1/models/@fake-openai/nope", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["provider"] == "control-plane"


def test_without_a_control_plane_key_the_callers_key_is_forwarded(client, settings, control_plane):
    url, _ = control_plane
    settings.GATEWAY_CONTROL_PLANE_URL = url
    settings.GATEWAY_CONTROL_PLANE_API_KEY = ""
    _, local_key = make_api_key()  # valid here, unknown to the control plane
    answer = client.get("/v1/models", headers={"x-portkey-api-key": local_key})
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["provider"] == "control-plane"
    assert "Invalid gateway API key" in error["message"]
    assert local_key not in answer.content.decode()
