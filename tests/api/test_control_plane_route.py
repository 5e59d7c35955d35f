"""Control-plane mode applies the key's own scope: virtual keys and model patterns."""

from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from tests.factories import VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db

CONTROL = "https://control.example/v1"


def item(public_id: str, **fields) -> dict:
    return {"id": public_id, "object": "model", "created": 1, "owned_by": "x", **fields}


LISTED = [
    item("@alpha/gpt-4o", virtual_key="alpha", slug="gpt-4o"),
    item("@alpha/o3", virtual_key="alpha", slug="o3"),
    item("@beta/gpt-4o-mini", virtual_key="beta", slug="gpt-4o-mini"),
    item("@beta/claude-sonnet-4"),  # no virtual_key field: the id names it
    item("gpt-4o-plain"),  # names no virtual key
]


@pytest.fixture
def control(settings):
    settings.GATEWAY_CONTROL_PLANE_URL = CONTROL
    settings.GATEWAY_CONTROL_PLANE_API_KEY = "gwk_control_plane_key"
    alpha, beta = VirtualKeyFactory(slug="alpha"), VirtualKeyFactory(slug="beta")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        body = {"object": "list", "data": LISTED, "total_count": len(LISTED)}
        mocked.get(CONTROL + "/models", json=body)
        for listed in LISTED:
            mocked.get(CONTROL + "/models/" + listed["id"], json=listed)
        mocked.alpha, mocked.beta = alpha, beta
        yield mocked


def ids(client, key, query=""):
    response = client.get(f"/v1/models{query}", headers={"x-portkey-api-key": key})
    assert response.status_code == 200, response.content
    return [m["id"] for m in response.json()["data"]], response.json()


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"virtual_keys": "alpha"}, ["@alpha/gpt-4o", "@alpha/o3"]),
        ({"virtual_keys": "beta"}, ["@beta/gpt-4o-mini", "@beta/claude-sonnet-4"]),
        (
            {"model_patterns": ["gpt-4o*"]},
            ["@alpha/gpt-4o", "@beta/gpt-4o-mini", "gpt-4o-plain"],
        ),
        ({"virtual_keys": "alpha", "model_patterns": ["o*"]}, ["@alpha/o3"]),
        ({"virtual_keys": "alpha beta", "model_patterns": ["claude-*"]}, ["@beta/claude-sonnet-4"]),
        ({}, [m["id"] for m in LISTED]),
    ],
)
def test_the_list_is_filtered_by_the_keys_scope(client, control, scope, expected):
    fields = {"model_patterns": scope.get("model_patterns", [])}
    if "virtual_keys" in scope:
        slugs = scope["virtual_keys"].split()
        fields["virtual_keys"] = [getattr(control, slug) for slug in slugs]
    listed, body = ids(client, make_api_key(**fields)[1])
    assert listed == expected
    assert body["total_count"] == len(expected)


def test_an_inactive_or_unchosen_virtual_key_gives_nothing(client, control):
    control.alpha.is_active = False
    control.alpha.save()
    assert ids(client, make_api_key(virtual_keys=[control.alpha])[1])[0] == []
    calls = len(control.calls)
    assert ids(client, make_api_key(all_virtual_keys=False)[1])[0] == []
    assert len(control.calls) == calls  # nothing in scope: the control plane is not asked


def test_paging_applies_after_the_scope(client, control):
    key = make_api_key(virtual_keys=[control.alpha, control.beta])[1]
    listed, body = ids(client, key, "?limit=2&offset=1&provider=openai")
    assert listed == ["@alpha/o3", "@beta/gpt-4o-mini"]
    assert (body["total_count"], body["limit"], body["offset"], body["has_more"]) == (
        4,
        2,
        1,
        True,
    )
    sent = parse_qs(urlsplit(control.calls[-1].request.url).query)
    assert sent == {"provider": ["openai"]}  # the whole list is asked for, then paged here
    bad = client.get("/v1/models?limit=0", headers={"x-portkey-api-key": key})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "limit"


@pytest.mark.parametrize(
    ("model_id", "status", "asked"),
    [
        ("@alpha/gpt-4o", 200, True),
        ("@beta/gpt-4o-mini", 404, False),  # another virtual key: refused without asking
        ("gpt-4o-plain", 404, True),  # names no virtual key: only for a key that may use all
        ("@alpha/o3", 200, True),
    ],
)
def test_retrieve_applies_the_same_scope(client, control, model_id, status, asked):
    key = make_api_key(virtual_keys=[control.alpha])[1]
    response = client.get(f"/v1/models/{model_id}", headers={"x-portkey-api-key": key})
    assert response.status_code == status, response.content
    if status == 404:
        assert response.json()["error"]["code"] == "model_not_found"
    assert (len(control.calls) == 1) is asked


def test_retrieve_refuses_a_model_outside_the_patterns_without_asking(client, control):
    key = make_api_key(model_patterns=["o*"])[1]
    refused = client.get("/v1/models/@alpha/gpt-4o", headers={"x-portkey-api-key": key})
    assert refused.status_code == 404 and len(control.calls) == 0
    allowed = client.get("/v1/models/@alpha/o3", headers={"x-portkey-api-key": key})
    assert allowed.status_code == 200


def test_an_answer_without_a_list_is_a_502_for_a_scoped_key(client, settings):
    settings.GATEWAY_CONTROL_PLANE_URL = CONTROL
    alpha = VirtualKeyFactory(slug="alpha")
    with responses.RequestsMock() as mocked:
        mocked.get(CONTROL + "/models", json={"models": []})
        response = client.get(
            "/v1/models", headers={"x-portkey-api-key": make_api_key(virtual_keys=[alpha])[1]}
        )
    assert response.status_code == 502
