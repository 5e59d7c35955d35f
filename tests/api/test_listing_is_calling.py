"""Listing is calling: for generated keys and catalogs, an id is callable exactly when listed.

Every id GET /v1/models lists for a key is accepted by each call route and reaches the
provider; every other id is refused (403/404, or 400 for a plain id several virtual keys
list) before any provider is contacted.
"""

import pytest
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from keys.models import VirtualKey
from tests.api.conftest import post
from tests.factories import CatalogEntryFactory, VirtualKeyFactory, make_api_key
from tests.fakes.openai import FakeOpenAI

pytestmark = pytest.mark.django_db
SLUGS = ("vk-a", "vk-b", "vk-c")
MODELS = ("gpt-4o", "gpt-4o-mini", "o3", "emb-1")
# "[" patterns are matched in Python, the others in SQL: both must agree with the calls.
PATTERNS = ("gpt-*", "*mini", "@vk-b/*", "o?", "[eo]*", "@vk-a/gpt-4o")
ROUTES = {"chat/completions": {"messages": []}, "embeddings": {"input": "x"}}

mostly = st.sampled_from([True, True, True, False])  # weighted so most examples list things
virtual_keys = st.lists(mostly, min_size=len(SLUGS), max_size=len(SLUGS))  # active?
catalogs = st.dictionaries(
    st.tuples(st.sampled_from(SLUGS), st.sampled_from(MODELS)), mostly, min_size=2, max_size=10
)  # (slug, model) -> still listed
scopes = st.one_of(st.none(), st.sets(st.sampled_from(SLUGS), min_size=1))  # None: all
patterns = st.lists(st.sampled_from(PATTERNS), max_size=2, unique=True)


@pytest.fixture(scope="module")
def provider():
    with FakeOpenAI(api_key="sk-prop", models=MODELS) as fake:
        yield fake


def _catalog(provider, active, catalog):
    for slug, is_active in zip(SLUGS, active, strict=True):
        VirtualKeyFactory(slug=slug, base_url=provider.url + "/v1", credential="sk-prop",
                          is_active=is_active)  # fmt: skip
    keys = {vk.slug: vk for vk in VirtualKey.objects.all()}
    for (slug, model), is_listed in catalog.items():
        CatalogEntryFactory(virtual_key=keys[slug], model_id=model, is_listed=is_listed)
    return keys


def _call(client, route, model, provider, **headers):
    provider.requests.clear()
    response = post(client, route, {"model": model, **ROUTES[route]}, **headers)
    return response.status_code, [r.json()["model"] for r in provider.requests]


@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(active=virtual_keys, catalog=catalogs, scope=scopes, model_patterns=patterns)
def test_an_id_is_callable_exactly_when_listed(
    provider, settings, active, catalog, scope, model_patterns
):
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = [provider.url.removeprefix("http://")]
    with transaction.atomic():
        cache.clear()  # virtual-key snapshots and catalog pages of the previous example
        keys = _catalog(provider, active, catalog)
        scoped = None if scope is None else [keys[slug] for slug in sorted(scope)]
        _, raw = make_api_key(virtual_keys=scoped, model_patterns=model_patterns)
        client = APIClient(HTTP_X_PORTKEY_API_KEY=raw)
        listed = {item["id"]: item for item in client.get("/v1/models").json()["data"]}
        candidates = {f"@{slug}/{model}" for slug in SLUGS for model in MODELS}
        for route in ROUTES:
            for public_id in sorted(candidates):
                status, sent = _call(client, route, public_id, provider)
                if public_id in listed:
                    assert (status, sent) == (200, [listed[public_id]["slug"]]), public_id
                else:
                    assert status in (403, 404) and sent == [], (public_id, status)
            for model in MODELS:  # plain ids: one listed entry, several, or none
                offering = [i for i in listed.values() if i["slug"] == model]
                status, sent = _call(client, route, model, provider)
                expected = {0: (404, []), 1: (200, [model])}.get(len(offering), (400, []))
                assert (status, sent) == expected, (model, offering)
        _header_routes(client, provider, keys, scope, model_patterns)
        transaction.set_rollback(True)


def _header_routes(client, provider, keys, scope, model_patterns):
    """A virtual key named by header: the provider's list filtered, the same rules for calls."""
    for slug, virtual_key in keys.items():
        usable = virtual_key.is_active and (scope is None or slug in scope)
        response = client.get("/v1/models", HTTP_X_PORTKEY_VIRTUAL_KEY=slug)
        listed = {m["id"] for m in response.json()["data"]} if usable else set()
        assert response.status_code == (200 if usable else 403)
        for model in MODELS:
            status, sent = _call(
                client, "chat/completions", model, provider, HTTP_X_PORTKEY_VIRTUAL_KEY=slug
            )
            if model in listed:
                assert (status, sent) == (200, [model])
            else:
                assert status in (403, 404) and sent == [], (slug, model, status)
