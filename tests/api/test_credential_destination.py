"""A stored credential goes only to its own virtual key's base URL, whatever the caller sends."""

import json

import pytest
import responses

from models_api.catalog.sync import catalog_sync
from models_api.models import SyncRun
from tests.factories import VirtualKeyFactory, make_api_key
from tests.fake_provider import FakeProvider, serve

pytestmark = pytest.mark.django_db

ALPHA_SECRET = "sk-alpha-stored-0001"


@pytest.fixture
def hosts(settings):
    """Two trusted fake providers: alpha's own, and another one."""
    own, other = FakeProvider(models=["a"]), FakeProvider(models=["b"])
    with serve(own) as own_url, serve(other) as other_url:
        settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [
            own_url.removeprefix("http://"),
            other_url.removeprefix("http://"),
        ]
        own.url, other.url = own_url, other_url
        yield own, other


@pytest.fixture
def alpha(hosts):
    own, _ = hosts
    return VirtualKeyFactory(slug="alpha", base_url=f"{own.url}/v1", credential=ALPHA_SECRET)


def get(client, path="/v1/models", **headers):
    key = make_api_key(name="caller")[1]
    return client.get(path, headers={"x-portkey-api-key": key, **headers})


def error_of(response, status=400):
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.mark.parametrize("path", ["/v1/models", "/v1/models/a"])
@pytest.mark.parametrize(
    ("route", "param"),
    [
        ({"x-portkey-virtual-key": "alpha"}, "x-portkey-custom-host"),
        ({"x-portkey-provider": "@alpha"}, "x-portkey-custom-host"),
        ({"x-portkey-config": json.dumps({"virtual_key": "alpha"})}, "x-portkey-custom-host"),
        ("config", "x-portkey-config"),
    ],
)
def test_a_virtual_key_and_a_custom_host_are_a_400(client, hosts, alpha, path, route, param):
    own, other = hosts
    if route == "config":
        route = {"x-portkey-config": json.dumps({"virtual_key": "alpha", "custom_host": other.url})}
    else:
        route = {**route, "x-portkey-custom-host": f"{other.url}/v1"}
    error = error_of(get(client, path, **route))
    assert error["param"] == param
    assert "only to its own base URL" in error["message"]
    assert other.requests == [] and own.requests == []


def test_the_virtual_key_alone_reaches_its_own_host(client, hosts, alpha):
    own, other = hosts
    response = get(client, **{"x-portkey-virtual-key": "alpha"})
    assert response.status_code == 200
    assert own.requests[0][1]["authorization"] == f"Bearer {ALPHA_SECRET}"
    assert other.requests == []


def test_a_custom_host_serves_the_callers_own_credential(client, hosts, alpha):
    _, other = hosts
    response = get(
        client,
        **{
            "x-portkey-provider": "openai",
            "x-portkey-custom-host": f"{other.url}/v1",
            "authorization": "Bearer sk-callers-own-0002",
        },
    )
    assert response.status_code == 200
    assert [h["authorization"] for _, h in other.requests] == ["Bearer sk-callers-own-0002"]


def test_a_virtual_key_with_a_refused_base_url_reaches_nothing(client, hosts, settings):
    own, other = hosts
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [other.url.removeprefix("http://")]
    VirtualKeyFactory(slug="inner", base_url=f"{own.url}/v1", credential="sk-inner-0003")
    alone = error_of(get(client, **{"x-portkey-virtual-key": "inner"}), status=502)
    assert alone["code"] == "private_address_refused"
    with_host = get(
        client, **{"x-portkey-virtual-key": "inner", "x-portkey-custom-host": f"{other.url}/v1"}
    )
    assert error_of(with_host)["param"] == "x-portkey-custom-host"
    assert own.requests == [] and other.requests == []


@responses.activate  # nothing registered: any outbound call fails the test
@pytest.mark.parametrize(
    ("provider", "options", "header", "value"),
    [
        ("azure-openai", {"azure_resource": "contoso"}, "x-portkey-azure-resource-name", "evil"),
        ("azure-openai", {"azure_resource": "contoso"}, "x-portkey-azure-auth-mode", "bearer"),
        ("bedrock", {"aws_region": "us-east-1"}, "x-portkey-aws-region", "eu-west-1"),
        ("bedrock", {"aws_region": "us-east-1"}, "x-portkey-aws-access-key-id", "AKIAEVIL"),
        ("bedrock", {"aws_region": "us-east-1"}, "x-portkey-aws-session-token", "token"),
    ],
)
def test_caller_options_cannot_redirect_a_stored_credential(
    client, provider, options, header, value
):
    VirtualKeyFactory(slug="cloud", provider=provider, options=options, credential="secret-0004")
    error = error_of(get(client, **{"x-portkey-virtual-key": "cloud", header: value}))
    assert error["param"] == header
    assert "cannot change where virtual key 'cloud' sends its credential" in error["message"]
    assert len(responses.calls) == 0


@responses.activate
def test_the_same_value_and_harmless_options_still_pass(client):
    VirtualKeyFactory(
        slug="cloud",
        provider="azure-openai",
        options={"azure_resource": "contoso"},
        credential="secret-0005",
    )
    url = "https://contoso.openai.azure.com/openai/models"
    responses.get(url, json={"data": [{"id": "gpt-4o", "created_at": 1}]})
    response = get(
        client,
        **{
            "x-portkey-virtual-key": "cloud",
            "x-portkey-azure-resource-name": "contoso",
            "x-portkey-azure-api-version": "2024-10-21",
        },
    )
    assert response.status_code == 200, response.content
    assert responses.calls[0].request.url == f"{url}?api-version=2024-10-21"
    assert responses.calls[0].request.headers["api-key"] == "secret-0005"


def test_sync_and_connection_test_use_only_the_keys_own_base_url(admin_client, hosts, alpha):
    own, other = hosts
    run = catalog_sync()
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    page = admin_client.post(f"/admin/keys/virtualkey/{alpha.pk}/test-connection/", follow=True)
    assert "succeeded: 1 model listed" in page.content.decode()
    assert len(own.requests) == 2 and other.requests == []
