"""Queries per request stay few and constant, whatever the catalog's size or the number of keys."""

import pytest
import responses
from django.db import connection
from django.test.utils import CaptureQueriesContext

from keys.models import ApiKey
from models_api.catalog.query import catalog_changed
from models_api.models import CatalogEntry, public_id_for
from tests.factories import VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db

# A warm request: the key's snapshot is cached. Catalog list: count + page; retrieve: one row;
# provider route from cache: the virtual key.
CATALOG_LIST_QUERIES = 2
RETRIEVE_QUERIES = 1
PROVIDER_CACHED_QUERIES = 1
# A key's first request also reads it by digest, reads its scope and stamps last_used_at.
FIRST_REQUEST_EXTRA = 3


def catalog(virtual_key, count: int, start: int = 0) -> None:
    entries = []
    for n in range(start, start + count):
        entry = CatalogEntry(
            virtual_key=virtual_key,
            provider=virtual_key.provider,
            model_id=f"model-{n:05d}",
            public_id=public_id_for(virtual_key.slug, f"model-{n:05d}"),
            synced={"context_length": 8192, "capabilities": ["tools"]},
        )
        entry.resolve()
        entries.append(entry)
    CatalogEntry.objects.bulk_create(entries)


def other_api_keys(count: int) -> None:
    keys = []
    for n in range(count):
        api_key = ApiKey(name=f"other {n}")
        api_key.assign_new_key()
        keys.append(api_key)
    ApiKey.objects.bulk_create(keys)


def query_count(client, path: str, **headers) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers=headers)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.fixture
def world():
    """One scoped key over a small catalog, and a function that makes everything 100x bigger."""
    virtual_key = VirtualKeyFactory(base_url="https://api.openai.com/v1")
    _, raw = make_api_key(virtual_keys=[virtual_key, *VirtualKeyFactory.create_batch(2)])
    catalog(virtual_key, 5)

    def grow():
        catalog(virtual_key, 500, start=5)
        for other in VirtualKeyFactory.create_batch(3):
            catalog(other, 200)
        other_api_keys(500)

    return virtual_key, raw, grow


@pytest.mark.parametrize(
    ("path", "warm_max"),
    [
        ("/v1/models", CATALOG_LIST_QUERIES),
        ("/v1/models?limit=1000&sort=created", CATALOG_LIST_QUERIES),
        ("/v1/models/{public_id}", RETRIEVE_QUERIES),
    ],
)
def test_catalog_queries_do_not_grow(client, world, django_assert_max_num_queries, path, warm_max):
    virtual_key, raw, grow = world
    path = path.format(public_id=public_id_for(virtual_key.slug, "model-00003"))
    cold = query_count(client, path, x_portkey_api_key=raw)
    catalog_changed()  # measure the database path, not the cached page
    with django_assert_max_num_queries(warm_max):
        warm = query_count(client, path, x_portkey_api_key=raw)
    assert cold <= warm + FIRST_REQUEST_EXTRA
    if path.startswith("/v1/models?") or path == "/v1/models":
        assert query_count(client, path, x_portkey_api_key=raw) == 0  # a cached page

    grow()  # a catalog change drops the cached pages
    with django_assert_max_num_queries(warm_max):
        # a page that is now full adds one COUNT(*), never a query per entry or key
        assert query_count(client, path, x_portkey_api_key=raw) <= warm_max


@responses.activate
def test_provider_cached_queries_do_not_grow(client, world, django_assert_max_num_queries):
    virtual_key, raw, grow = world
    responses.get(
        "https://api.openai.com/v1/models",
        json={"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]},
    )
    headers = {"x_portkey_api_key": raw, "x_portkey_virtual_key": virtual_key.slug}
    query_count(client, "/v1/models", **headers)
    with django_assert_max_num_queries(PROVIDER_CACHED_QUERIES):
        warm = query_count(client, "/v1/models", **headers)
    grow()
    with django_assert_max_num_queries(PROVIDER_CACHED_QUERIES):
        assert query_count(client, "/v1/models", **headers) == warm
    assert len(responses.calls) == 1
