"""Without `limit` the catalog answers every model the key may see: clients do not page."""

import openai
import pytest

from keys.access import Access
from models_api.catalog.query import MAX_LIMIT, catalog_list
from models_api.models import CatalogEntry
from tests.factories import VirtualKeyFactory, make_api_key

ALL = Access(all_virtual_keys=True)


def entries(count: int, slug: str = "big") -> list[str]:
    virtual_key = VirtualKeyFactory(slug=slug)
    rows = [
        CatalogEntry(
            virtual_key=virtual_key,
            provider="openai",
            model_id=f"model-{n:05d}",
            public_id=f"@{slug}/model-{n:05d}",
        )
        for n in range(count)
    ]
    CatalogEntry.objects.bulk_create(rows)
    return [row.public_id for row in rows]


@pytest.mark.django_db
def test_no_limit_answers_the_whole_list(client):
    ids = entries(MAX_LIMIT + 250)
    key = make_api_key()[1]
    body = client.get("/v1/models", headers={"x-portkey-api-key": key}).json()
    assert [m["id"] for m in body["data"]] == ids
    assert (body["total_count"], body["limit"], body["offset"], body["has_more"]) == (
        MAX_LIMIT + 250,
        None,
        0,
        False,
    )


@pytest.mark.django_db
def test_a_caller_that_pages_still_gets_pages():
    ids = entries(30)
    page = catalog_list(access=ALL, params={"limit": "10", "offset": "10"})
    assert [m["id"] for m in page["data"]] == ids[10:20]
    assert (page["total_count"], page["limit"], page["has_more"]) == (30, 10, True)
    rest = catalog_list(access=ALL, params={"offset": "25"})
    assert [m["id"] for m in rest["data"]] == ids[25:]
    assert (rest["total_count"], rest["limit"], rest["has_more"]) == (30, None, False)


@pytest.mark.django_db
def test_model_patterns_without_limit_answer_every_match():
    ids = entries(300)
    access = Access(all_virtual_keys=True, model_patterns=("model-001*", "model-02[0-4]*"))
    body = catalog_list(access=access, params={})
    expected = [
        i
        for i in ids
        if "/model-001" in i or i.split("/")[1][:9] in {f"model-02{d}" for d in "01234"}
    ]
    assert [m["id"] for m in body["data"]] == expected
    assert body["total_count"] == len(expected) and not body["has_more"]
    simple = catalog_list(
        access=Access(all_virtual_keys=True, model_patterns=("model-0*",)), params={}
    )
    assert len(simple["data"]) == 300


@pytest.mark.django_db
def test_max_limit_applies_only_when_limit_is_given(client):
    entries(5)
    key = make_api_key()[1]
    too_big = client.get(f"/v1/models?limit={MAX_LIMIT + 1}", headers={"x-portkey-api-key": key})
    assert too_big.status_code == 400 and too_big.json()["error"]["param"] == "limit"


@pytest.mark.django_db(transaction=True)
def test_the_openai_sdk_sees_every_model(live_server):
    ids = entries(350)
    sdk = openai.OpenAI(base_url=live_server.url + "/v1", api_key=make_api_key()[1], max_retries=0)
    assert [m.id for m in sdk.models.list()] == ids
