"""Catalog admin: entry list with search and filters, override editing, read-only sync runs."""

from decimal import Decimal

import pytest
from django.urls import reverse

from models_api.models import CatalogEntry, ModelMetadata, SyncRun
from tests.factories import CatalogEntryFactory, VirtualKeyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    vk = VirtualKeyFactory(slug="openai-prod")
    CatalogEntryFactory(
        virtual_key=vk, model_id="text-embedding-3-small", synced={"capabilities": ["embeddings"]}
    )
    return CatalogEntryFactory(
        virtual_key=vk,
        model_id="gpt-4o",
        synced={"name": "GPT-4o", "context_length": 128000, "capabilities": ["tools"]},
    )


def test_changelist_search_and_filters(admin_client, entry):
    url = reverse("admin:models_api_catalogentry_changelist")
    assert b"@openai-prod/gpt-4o" in admin_client.get(url).content
    found = admin_client.get(url, {"q": "embedding"}).content
    assert b"text-embedding-3-small" in found and b"@openai-prod/gpt-4o<" not in found
    tools = admin_client.get(url, {"capability": "tools"}).content
    assert b"@openai-prod/gpt-4o" in tools and b"text-embedding" not in tools
    for params in (
        {"provider": "openai"},
        {"is_listed__exact": "1"},
        {"virtual_key__id__exact": entry.virtual_key_id},
    ):
        assert admin_client.get(url, params).status_code == 200


def test_change_form_shows_synced_values_and_saves_overrides(admin_client, entry):
    url = reverse("admin:models_api_catalogentry_change", args=[entry.pk])
    page = admin_client.get(url).content.decode()
    assert "Synced or imported value: 128000." in page
    assert "Overrides (kept across syncs" in page
    response = admin_client.post(
        url,
        {
            "override_name": "",
            "override_context_length": "32000",
            "override_max_output_tokens": "",
            "override_input_price": "0.000001",
            "override_output_price": "",
            "override_input_modalities": "text, image",
            "override_output_modalities": "",
            "override_capabilities": "",
        },
    )
    assert response.status_code == 302, response.content
    entry.refresh_from_db()
    assert entry.overrides == {
        "context_length": 32000,
        "input_price": "0.000001",
        "input_modalities": ["text", "image"],
    }
    assert entry.synced["context_length"] == 128000
    assert (entry.context_length, entry.input_price, entry.name) == (
        32000,
        Decimal("0.000001"),
        "GPT-4o",
    )
    assert entry.capabilities == ["tools", "vision"]


def test_bad_override_is_a_form_error(admin_client, entry):
    url = reverse("admin:models_api_catalogentry_change", args=[entry.pk])
    response = admin_client.post(
        url, {"override_capabilities": "tools, no|pipes", "override_context_length": "-1"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.keys() == {
        "override_capabilities",
        "override_context_length",
    }
    entry.refresh_from_db()
    assert entry.overrides == {}


def test_no_adding_entries_by_hand(admin_client):
    assert admin_client.get(reverse("admin:models_api_catalogentry_add")).status_code == 403


def test_sync_runs_are_read_only_with_counts_and_errors(admin_client):
    run = SyncRun.objects.create(
        status="partial",
        keys_total=2,
        keys_failed=1,
        added=3,
        error="bad: openai said 401",
        results=[
            {
                "slug": "good",
                "provider": "openai",
                "added": 3,
                "updated": 0,
                "removed": 0,
                "unchanged": 0,
                "error": "",
            },
            {
                "slug": "bad",
                "provider": "openai",
                "added": 0,
                "updated": 0,
                "removed": 0,
                "unchanged": 0,
                "error": "openai said <401>",
            },
        ],
    )
    listing = admin_client.get(reverse("admin:models_api_syncrun_changelist")).content.decode()
    assert "partially failed" in listing
    detail = admin_client.get(reverse("admin:models_api_syncrun_change", args=[run.pk]))
    page = detail.content.decode()
    assert "openai said &lt;401&gt;" in page  # escaped
    assert "<td>good</td>" in page
    assert (
        admin_client.post(reverse("admin:models_api_syncrun_change", args=[run.pk]), {}).status_code
        == 403
    )
    assert admin_client.get(reverse("admin:models_api_syncrun_add")).status_code == 403


def test_imported_metadata_is_browsable(admin_client):
    row = ModelMetadata.objects.create(
        model_id="gpt-4o", provider="openai", source="litellm", values={"context_length": 128000}
    )
    url = reverse("admin:models_api_modelmetadata_change", args=[row.pk])
    assert b"128000" in admin_client.get(url).content
    assert CatalogEntry.objects.count() == 0
