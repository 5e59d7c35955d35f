"""GET /v1/models and /v1/models/{id} end to end through Django: auth, routes, errors, cache."""

import pytest
import requests
import responses

from models_api.api import views
from tests.factories import VirtualKeyFactory, make_api_key

OPENAI = "https://api.openai.com/v1/models"
OPENAI_BODY = {
    "object": "list",
    "data": [
        {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
        {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
    ],
}

pytestmark = pytest.mark.django_db


def assert_error(response, status, *, code=None, contains=""):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "param", "code"}
    assert contains in error["message"]
    if code:
        assert error["code"] == code
    return error


@pytest.fixture
def key():
    return make_api_key()[1]


def caller_headers(key: str) -> dict:
    """A gateway key, the openai provider, and the caller's own provider credential."""
    return {
        "x_portkey_api_key": key,
        "x_portkey_provider": "openai",
        "authorization": "Bearer sk-caller",
    }


def get(client, path="/v1/models", **headers):
    return client.get(path, headers=headers)


def test_no_key_is_401(client):
    assert get(client)["WWW-Authenticate"] == 'Bearer realm="gateway"'
    error = assert_error(
        get(client), 401, code="invalid_api_key", contains="Missing gateway API key"
    )
    assert error["type"] == "authentication_error"


def test_unknown_key_is_401_and_not_echoed(client):
    response = get(client, x_portkey_api_key="gwk_" + "A" * 43)
    assert_error(response, 401, contains="Invalid gateway API key")
    assert b"AAAAAAAAAA" not in response.content


def test_empty_catalog_with_key(client, key):
    response = get(client, x_portkey_api_key=key)
    assert response.status_code == 200
    assert response.json()["object"] == "list"
    assert response.json()["data"] == []
    assert len(response["x-portkey-trace-id"]) == 32
    assert float(response["x-gateway-processing-ms"]) >= 0


def test_trace_id_is_echoed(client, key):
    response = get(client, x_portkey_api_key=key, x_portkey_trace_id="trace-1")
    assert response["x-portkey-trace-id"] == "trace-1"


def test_unknown_url_is_openai_json_404(client):
    assert_error(client.get("/v2/nothing"), 404, code="unknown_url")


def test_method_not_allowed_is_json(client, key):
    response = client.post("/v1/models", headers={"x-portkey-api-key": key})
    assert_error(response, 405, code="method_not_allowed")


def test_bad_header_is_400_after_auth(client, key):
    assert_error(get(client, x_portkey_api_key=key, x_portkey_provider="nope"), 400)
    # Without a key the caller learns about the key first.
    assert_error(get(client, x_portkey_provider="nope"), 401)


def test_health_endpoints(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    caches = {"default": "ok", "state": "ok", "ratelimit": "ok"}
    assert ready.json()["checks"] == {"database": "ok", "caches": caches}


@responses.activate
def test_provider_route_normalises_and_caches(client, key):
    responses.get(OPENAI, json=OPENAI_BODY)
    headers = caller_headers(key)
    first = get(client, **headers)
    assert first.status_code == 200, first.content
    assert first.json() == {"object": "list", "provider": "openai", "data": OPENAI_BODY["data"]}
    assert first["x-portkey-provider"] == "openai"
    assert first["x-portkey-cache-status"] == "MISS"
    assert responses.calls[0].request.headers["Authorization"] == "Bearer sk-caller"
    assert "x-portkey-api-key" not in {k.lower() for k in responses.calls[0].request.headers}

    second = get(client, **headers)
    assert second["x-portkey-cache-status"] == "HIT"
    assert second.json() == first.json()
    assert len(responses.calls) == 1

    refreshed = get(client, x_portkey_cache_force_refresh="true", **headers)
    assert refreshed["x-portkey-cache-status"] == "REFRESH"
    assert len(responses.calls) == 2


@responses.activate
def test_cache_is_per_credential(client, key):
    responses.get(OPENAI, json=OPENAI_BODY)
    get(client, x_portkey_api_key=key, x_portkey_provider="openai", authorization="Bearer sk-a")
    other = get(
        client, x_portkey_api_key=key, x_portkey_provider="openai", authorization="Bearer sk-b"
    )
    assert other["x-portkey-cache-status"] == "MISS"
    assert len(responses.calls) == 2


@responses.activate
def test_stale_answer_when_upstream_fails(client, key, settings, monkeypatch):
    settings.GATEWAY_MODELS_CACHE_TTL = 60
    settings.GATEWAY_MODELS_STALE_TTL = 3600
    responses.get(OPENAI, json=OPENAI_BODY)
    headers = caller_headers(key)
    assert get(client, **headers).status_code == 200

    import models_api.cache as cache_module

    later = cache_module.time.time() + 120  # past the TTL, within the stale window
    monkeypatch.setattr(cache_module.time, "time", lambda: later)
    responses.replace(responses.GET, OPENAI, json={"error": {"message": "down"}}, status=503)
    stale = get(client, **headers)
    assert stale.status_code == 200
    assert stale["x-portkey-cache-status"] == "STALE"
    assert stale.json()["data"] == OPENAI_BODY["data"]


@responses.activate
def test_expired_entry_past_stale_window_gives_502(client, key, settings, monkeypatch):
    settings.GATEWAY_MODELS_CACHE_TTL = 60
    settings.GATEWAY_MODELS_STALE_TTL = 100
    responses.get(OPENAI, json=OPENAI_BODY)
    headers = caller_headers(key)
    get(client, **headers)
    import models_api.cache as cache_module

    later = cache_module.time.time() + 500
    monkeypatch.setattr(cache_module.time, "time", lambda: later)
    monkeypatch.setattr("models_api.outbound.http.sleep", lambda s: None)
    responses.replace(responses.GET, OPENAI, body="oops", status=500)
    assert_error(get(client, **headers), 502)


@responses.activate
def test_cache_disabled(client, key, settings):
    settings.GATEWAY_MODELS_CACHE_TTL = 0
    responses.get(OPENAI, json=OPENAI_BODY)
    headers = caller_headers(key)
    assert get(client, **headers)["x-portkey-cache-status"] == "DISABLED"
    assert get(client, **headers)["x-portkey-cache-status"] == "DISABLED"
    assert len(responses.calls) == 2


@responses.activate
def test_provider_rejection_keeps_message_without_credential(client, key):
    responses.get(
        OPENAI,
        status=401,
        json={
            "error": {
                "message": "Incorrect API key provided: sk-bad-secret-value.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        },
    )
    response = get(
        client,
        x_portkey_api_key=key,
        x_portkey_provider="openai",
        authorization="Bearer sk-bad-secret-value",
    )
    error = assert_error(response, 401, contains="Incorrect API key provided")
    assert error["provider"] == "openai"
    assert b"sk-bad-secret-value" not in response.content


@responses.activate
def test_virtual_key_route_uses_stored_credential(client):
    vk = VirtualKeyFactory(slug="openai-prod", credential="sk-stored-credential")
    _, key = make_api_key(virtual_keys=[vk])
    responses.get(OPENAI, json=OPENAI_BODY)
    response = get(client, x_portkey_api_key=key, x_portkey_virtual_key="openai-prod")
    assert response.status_code == 200, response.content
    assert response.json()["provider"] == "openai"
    assert responses.calls[0].request.headers["Authorization"] == "Bearer sk-stored-credential"
    assert b"sk-stored-credential" not in response.content
    at_form = get(client, x_portkey_api_key=key, x_portkey_provider="@openai-prod")
    assert at_form.json()["data"] == response.json()["data"]


def test_virtual_key_out_of_scope_is_403(client):
    VirtualKeyFactory(slug="other")
    _, key = make_api_key(virtual_keys=[VirtualKeyFactory(slug="mine")])
    assert_error(
        get(client, x_portkey_api_key=key, x_portkey_virtual_key="other"),
        403,
        contains="may not use virtual key 'other'",
    )


def test_empty_scope_key_may_use_no_virtual_key(client):
    VirtualKeyFactory(slug="vk")
    _, key = make_api_key(all_virtual_keys=False)
    assert_error(get(client, x_portkey_api_key=key, x_portkey_virtual_key="vk"), 403)


def test_disabled_and_unknown_virtual_keys(client, key):
    VirtualKeyFactory(slug="off", is_active=False)
    assert_error(
        get(client, x_portkey_api_key=key, x_portkey_virtual_key="off"), 403, contains="disabled"
    )
    assert_error(
        get(client, x_portkey_api_key=key, x_portkey_virtual_key="ghost"),
        404,
        contains="does not exist",
    )


def test_provider_and_virtual_key_disagree(client, key):
    VirtualKeyFactory(slug="vk", provider="openai")
    assert_error(
        get(
            client,
            x_portkey_api_key=key,
            x_portkey_virtual_key="vk",
            x_portkey_provider="anthropic",
        ),
        400,
        contains="is for 'openai'",
    )


@responses.activate
def test_model_patterns_filter_provider_lists(client):
    vk = VirtualKeyFactory(slug="vk")
    _, key = make_api_key(virtual_keys=[vk], model_patterns=["gpt-4o-mini*"])
    responses.get(OPENAI, json=OPENAI_BODY)
    response = get(client, x_portkey_api_key=key, x_portkey_virtual_key="vk")
    assert [m["id"] for m in response.json()["data"]] == ["gpt-4o-mini"]
    denied = get(client, "/v1/models/gpt-4o", x_portkey_api_key=key, x_portkey_virtual_key="vk")
    assert_error(denied, 404)


@responses.activate
def test_retrieve_on_provider_route(client, key):
    responses.get(OPENAI + "/gpt-4o", json=OPENAI_BODY["data"][0])
    response = get(
        client,
        "/v1/models/gpt-4o",
        x_portkey_api_key=key,
        x_portkey_provider="openai",
        authorization="Bearer sk-caller",
    )
    assert response.status_code == 200, response.content
    assert response.json()["id"] == "gpt-4o"
    assert response.json()["object"] == "model"


@responses.activate
def test_open_mode_allows_provider_route_with_caller_credential(client, settings):
    settings.GATEWAY_REQUIRE_API_KEY = False
    responses.get(OPENAI, json=OPENAI_BODY)
    ok = get(client, x_portkey_provider="openai", authorization="Bearer sk-caller")
    assert ok.status_code == 200
    assert_error(get(client, x_portkey_provider="openai"), 401)
    assert_error(get(client), 401)  # the catalog always needs a key
    VirtualKeyFactory(slug="vk")
    assert_error(get(client, x_portkey_virtual_key="vk"), 401)


@responses.activate
def test_open_mode_reads_the_route_once_for_permission_and_view(client, settings, monkeypatch):
    settings.GATEWAY_REQUIRE_API_KEY = False
    responses.get(OPENAI, json=OPENAI_BODY)
    reads = []
    real = views.route_read
    monkeypatch.setattr(views, "route_read", lambda request: reads.append(1) or real(request))
    ok = get(client, x_portkey_provider="openai", authorization="Bearer sk-caller")
    assert ok.status_code == 200
    assert ok.json()["provider"] == "openai"
    assert len(reads) == 1


def test_without_a_key_the_route_is_not_read(client, monkeypatch):
    monkeypatch.setattr(views, "route_read", lambda request: pytest.fail("route read"))
    assert_error(get(client, x_portkey_provider="nope", x_portkey_config="{"), 401)


@responses.activate
def test_timeout_is_504(client, key, settings, monkeypatch):
    monkeypatch.setattr("models_api.outbound.http.sleep", lambda s: None)
    responses.get(OPENAI, body=requests.exceptions.ReadTimeout())
    response = get(
        client, x_portkey_api_key=key, x_portkey_provider="openai", authorization="Bearer sk-caller"
    )
    assert_error(response, 504)


CONTROL = "https://control.example/v1"


@responses.activate
def test_control_plane_route(client, key, settings):
    settings.GATEWAY_CONTROL_PLANE_URL = CONTROL
    body = {"object": "list", "data": [{"id": "@x/gpt-4o", "object": "model"}], "total_count": 1}
    responses.get(CONTROL + "/models", json=body)
    response = client.get("/v1/models?provider=openai", headers={"x-portkey-api-key": key})
    assert response.status_code == 200
    assert response.json() == body
    sent = responses.calls[0].request
    assert sent.headers["x-portkey-api-key"] == key
    assert sent.url == CONTROL + "/models?provider=openai"


@responses.activate
def test_control_plane_key_and_retrieve(client, key, settings):
    settings.GATEWAY_CONTROL_PLANE_URL = CONTROL
    settings.GATEWAY_CONTROL_PLANE_API_KEY = "gwk_control"
    responses.get(CONTROL + "/models/@x/gpt-4o", json={"id": "@x/gpt-4o", "object": "model"})
    response = get(client, "/v1/models/@x/gpt-4o", x_portkey_api_key=key)
    assert response.json()["id"] == "@x/gpt-4o"
    assert responses.calls[0].request.headers["x-portkey-api-key"] == "gwk_control"


@responses.activate
def test_control_plane_errors_map(client, key, settings):
    settings.GATEWAY_CONTROL_PLANE_URL = CONTROL
    responses.get(CONTROL + "/models", status=401, json={"error": {"message": "bad key"}})
    error = assert_error(get(client, x_portkey_api_key=key), 401, contains="bad key")
    assert error["provider"] == "control-plane"


@pytest.mark.parametrize("model_id", ["../admin", "a/../../b", "x%00y", "a/./b", "x" * 600])
def test_hostile_model_ids_are_400(client, key, model_id):
    response = client.get(
        f"/v1/models/{model_id}", headers={"x-portkey-api-key": key, "x-portkey-provider": "openai"}
    )
    assert_error(response, 400)


@responses.activate
def test_virtual_key_changes_take_effect_at_once(client):
    vk = VirtualKeyFactory(slug="cached-vk", credential="sk-stored-credential")
    _, key = make_api_key(virtual_keys=[vk])
    responses.get(OPENAI, json=OPENAI_BODY)
    assert get(client, x_portkey_api_key=key, x_portkey_virtual_key="cached-vk").status_code == 200
    vk.is_active = False
    vk.save()
    assert_error(get(client, x_portkey_api_key=key, x_portkey_virtual_key="cached-vk"), 403)
    vk.is_active = True
    vk.slug = "renamed-vk"
    vk.save()
    assert_error(get(client, x_portkey_api_key=key, x_portkey_virtual_key="cached-vk"), 404)
    renamed = get(client, x_portkey_api_key=key, x_portkey_virtual_key="renamed-vk")
    assert renamed.status_code == 200


@responses.activate
def test_scope_change_from_the_virtual_key_side_takes_effect_at_once(client):
    vk = VirtualKeyFactory(slug="scoped")
    api_key, key = make_api_key(virtual_keys=[vk])
    responses.get(OPENAI, json=OPENAI_BODY)
    assert get(client, x_portkey_api_key=key, x_portkey_virtual_key="scoped").status_code == 200
    vk.api_keys.remove(api_key)
    assert_error(get(client, x_portkey_api_key=key, x_portkey_virtual_key="scoped"), 403)


def test_catalog_pages_are_cached_until_the_catalog_changes(client, monkeypatch):
    from models_api.catalog.sync import catalog_sync
    from models_api.models import CatalogEntry
    from models_api.providers.base import Model, ModelList
    from tests.factories import CatalogEntryFactory

    vk = VirtualKeyFactory(slug="cat")
    CatalogEntryFactory(virtual_key=vk, model_id="first")
    _, key = make_api_key(virtual_keys=[vk])
    first = get(client, x_portkey_api_key=key)
    assert first["x-portkey-cache-status"] == "MISS"
    assert [m["id"] for m in first.json()["data"]] == ["@cat/first"]
    assert get(client, x_portkey_api_key=key)["x-portkey-cache-status"] == "HIT"
    one = get(client, "/v1/models/@cat/first", x_portkey_api_key=key)
    assert (one.json()["id"], one["x-portkey-cache-status"]) == ("@cat/first", "MISS")
    again = get(client, "/v1/models/@cat/first", x_portkey_api_key=key)
    assert again["x-portkey-cache-status"] == "HIT"

    CatalogEntryFactory(virtual_key=vk, model_id="second")  # an admin-style save
    assert get(client, "/v1/models/@cat/second", x_portkey_api_key=key).status_code == 200
    ids = [m["id"] for m in get(client, x_portkey_api_key=key).json()["data"]]
    assert ids == ["@cat/first", "@cat/second"]

    class Client:
        def list_models(self, target, query=None):
            return ModelList(models=(Model(id="first"), Model(id="second"), Model(id="third")))

    monkeypatch.setattr("models_api.catalog.sync.get_client", lambda slug: Client())
    assert catalog_sync().keys_failed == 0  # bulk writes, no model signals
    after = get(client, x_portkey_api_key=key)
    assert after["x-portkey-cache-status"] == "MISS"
    assert len(after.json()["data"]) == CatalogEntry.objects.count() == 3
