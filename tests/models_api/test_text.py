"""A NUL (or any control character) in a parameter: a 400 naming it, on SQLite and PostgreSQL."""

import json

import pytest
import responses
from django.contrib.auth.models import User

from keys.models import VirtualKey
from models_api.catalog.sync import catalog_sync
from models_api.models import CatalogEntry
from models_api.providers.base import Model
from tests.catalog.fakes import FakeProvider
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway_key():
    virtual_key = VirtualKeyFactory(slug="prod")
    CatalogEntryFactory(virtual_key=virtual_key, model_id="gpt-4o")
    CatalogEntryFactory(virtual_key=virtual_key, model_id="o3")
    return make_api_key()[1]


def error_of(response, status=400):
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("search=a%00b", "search"),
        ("search=%00", "search"),
        ("search=%0a", "search"),
        ("search=%C2%85", "search"),  # C1 NEXT LINE
        ("provider=openai%00", "provider"),
        ("virtual_key=prod%00", "virtual_key"),
        ("capability=tools%00", "capability"),
        ("sort=id%00", "sort"),
        ("order=%00", "order"),
        ("limit=1%00", "limit"),
        ("offset=%1f", "offset"),
        ("se%00arch=x", "se\x00arch"),
        ("search=ok&search=%00", "search"),
    ],
)
def test_catalog_parameters_with_a_control_character_are_a_400(client, gateway_key, query, param):
    for path in ("/v1/models", "/v1/models/@prod/gpt-4o"):
        response = client.get(f"{path}?{query}", headers={"x-portkey-api-key": gateway_key})
        error = error_of(response)
        assert error["param"] == param
        assert error["code"] == "invalid_parameter"
        assert "control character" in error["message"]


def test_a_plain_search_still_works(client, gateway_key):
    response = client.get("/v1/models?search=o3", headers={"x-portkey-api-key": gateway_key})
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["data"]] == ["@prod/o3"]


@responses.activate  # no provider call is registered: any would fail the test
def test_provider_and_control_plane_routes_refuse_them_before_any_call(client, settings):
    gateway_key = make_api_key()[1]
    headers = {"x-portkey-api-key": gateway_key, "authorization": "Bearer sk-caller-0001"}
    provider = client.get(
        "/v1/models?after=%00", headers={**headers, "x-portkey-provider": "openai"}
    )
    assert error_of(provider)["param"] == "after"
    settings.GATEWAY_CONTROL_PLANE_URL = "https://control.example/v1"
    control_plane = client.get("/v1/models?q=a%00", headers=headers)
    assert error_of(control_plane)["param"] == "q"
    assert len(responses.calls) == 0


@pytest.mark.parametrize(
    ("headers", "status", "param"),
    [
        ({"x-portkey-virtual-key": "pr\x00od"}, 400, "x-portkey-virtual-key"),
        ({"x-portkey-provider": "@pr\x00od"}, 400, "x-portkey-provider"),
        ({"x-portkey-config": json.dumps({"virtual_key": "pr\x00od"})}, 400, "x-portkey-config"),
        ({"x-portkey-config": json.dumps({"provider": "@pr\x00od"})}, 400, "x-portkey-config"),
        ({"x-portkey-trace-id": "t\x00"}, 400, "x-portkey-trace-id"),
    ],
)
def test_headers_that_reach_a_query_refuse_them(client, gateway_key, headers, status, param):
    response = client.get("/v1/models", headers={"x-portkey-api-key": gateway_key, **headers})
    assert error_of(response, status)["param"] == param


@pytest.mark.parametrize("key", ["gwk_\x00abc", "gwk_a%00", "\x00"])
def test_a_gateway_key_with_a_nul_is_a_401(client, key):
    assert client.get("/v1/models", headers={"x-portkey-api-key": key}).status_code == 401


@pytest.mark.parametrize(
    "query",
    ["q=%00", "provider__exact=%00", "is_active__exact=%00", "o=%00"],
)
def test_admin_lists_refuse_them_too(admin_client, query):
    VirtualKeyFactory(slug="prod")
    response = admin_client.get(f"/admin/keys/virtualkey/?{query}")
    assert response.status_code == 400


def test_admin_options_with_a_nul_are_a_form_error(admin_client):
    data = {
        "name": "x",
        "slug": "x",
        "provider": "openai",
        "credential": "sk-x-0001-abcd",
        "options": json.dumps({"openai_organization": "org\x00"}),
        "is_active": "on",
    }
    response = admin_client.post("/admin/keys/virtualkey/add/", data)
    assert response.status_code == 200
    assert "no control characters" in response.content.decode()
    assert not VirtualKey.objects.exists()
    assert User.objects.exists()


def test_a_provider_listing_a_nul_syncs_the_rest(monkeypatch):
    fake = FakeProvider()
    monkeypatch.setattr("models_api.catalog.sync.get_client", lambda slug: fake)
    virtual_key = VirtualKeyFactory(slug="odd", credential="sk-odd-0001")
    fake.lists["sk-odd-0001"] = [
        Model(id="bad\x00id"),
        Model(id="good", name="Go\x00od", owned_by="o\x00rg"),
    ]
    run = catalog_sync()
    assert run.keys_failed == 0, run.error
    (entry,) = CatalogEntry.objects.filter(virtual_key=virtual_key)
    assert (entry.model_id, entry.name, entry.owned_by) == ("good", "Good", "org")
