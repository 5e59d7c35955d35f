"""Metadata import: LiteLLM and OpenRouter files, merging, and filling the catalog's gaps."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from models_api.catalog.formats import MetadataFormatError, format_detect
from models_api.catalog.metadata import metadata_import, metadata_load
from models_api.models import ModelMetadata
from tests.factories import CatalogEntryFactory, VirtualKeyFactory

DATA = Path(__file__).parent / "data"
pytestmark = pytest.mark.django_db


def load(name):
    return metadata_load(location=str(DATA / name))


def values(model_id, provider):
    return ModelMetadata.objects.get(model_id=model_id, provider=provider).values


def test_litellm_cost_map():
    result = metadata_import(data=load("litellm_cost_map.json"))
    assert (result.format, result.read, result.skipped, result.created) == ("litellm", 6, 1, 6)
    assert not ModelMetadata.objects.filter(model_id="sample_spec").exists()
    assert values("gpt-4o", "openai") == {
        "context_length": 128000,
        "max_output_tokens": 16384,
        "input_price": "0.0000025",
        "output_price": "0.00001",
        "input_modalities": ["text", "image"],
        "output_modalities": ["text"],
        "capabilities": [
            "tools",
            "parallel_function_calling",
            "vision",
            "prompt_caching",
            "system_messages",
            "chat",
        ],
    }
    assert values("text-embedding-3-small", "openai")["capabilities"] == ["embeddings"]
    assert values("claude-3-5-haiku-20241022", "anthropic")["input_modalities"] == ["text"]
    # Provider prefixes are LiteLLM's, not the provider's model id; providers get our slugs.
    assert values("llama-3.1-8b-instant", "groq")["context_length"] == 128000
    assert values("gemini-1.5-flash", "google")["input_modalities"] == ["text", "image", "audio"]
    assert values("dall-e-3", "openai") == {
        "output_modalities": ["image"],
        "capabilities": ["image_generation"],
    }


def test_openrouter_models():
    result = metadata_import(data=load("openrouter_models.json"))
    assert (result.format, result.read, result.skipped) == ("openrouter", 3, 1)
    assert values("openai/gpt-4o", "openrouter") == {
        "name": "OpenAI: GPT-4o",
        "context_length": 128000,
        "max_output_tokens": 16384,
        "input_price": "0.0000025",
        "output_price": "0.00001",
        "input_modalities": ["text", "image", "file"],
        "output_modalities": ["text"],
        "capabilities": ["tools", "structured_outputs"],
    }
    free = values("meta-llama/llama-3.1-8b-instruct:free", "openrouter")
    assert (free["input_price"], free["output_price"]) == ("0", "0")
    auto = values("openrouter/auto", "openrouter")
    assert "input_price" not in auto  # "-1" means variable, not a price


def test_a_second_import_merges_without_erasing(tmp_path):
    metadata_import(data=load("litellm_cost_map.json"))
    update = {"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 2e-06}}
    result = metadata_import(data=update)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    merged = values("gpt-4o", "openai")
    assert merged["input_price"] == "0.000002"
    assert merged["context_length"] == 128000  # absent from the new file: kept
    again = metadata_import(data=load("litellm_cost_map.json"))
    assert (again.created, again.updated, again.unchanged) == (0, 1, 5)


def test_import_fills_catalog_gaps_but_never_beats_provider_or_override():
    vk = VirtualKeyFactory(provider="openai")
    bare = CatalogEntryFactory(virtual_key=vk, model_id="gpt-4o")
    provided = CatalogEntryFactory(
        virtual_key=VirtualKeyFactory(provider="openai"),
        model_id="gpt-4o",
        synced={"context_length": 64000},
    )
    edited = CatalogEntryFactory(
        virtual_key=VirtualKeyFactory(provider="openai"),
        model_id="gpt-4o",
        overrides={"input_price": "0.000001"},
    )
    other_provider = CatalogEntryFactory(
        virtual_key=VirtualKeyFactory(provider="groq"), model_id="gpt-4o"
    )
    result = metadata_import(data=load("litellm_cost_map.json"))
    assert result.entries_refreshed == 3
    for entry in (bare, provided, edited, other_provider):
        entry.refresh_from_db()
    assert (bare.context_length, bare.input_price) == (128000, Decimal("0.0000025"))
    assert bare.capabilities[:1] == ["tools"] and "vision" in bare.capabilities
    assert "|cap:vision|" in bare.tags
    assert provided.context_length == 64000
    assert edited.input_price == Decimal("0.000001")
    assert edited.context_length == 128000
    assert other_provider.context_length is None  # another provider's prices do not apply


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("unknown_shape.json", "Not a known metadata format"),
        ("truncated.json", "is not valid JSON"),
        ("missing.json", "Could not read"),
    ],
)
def test_malformed_files(name, message):
    with pytest.raises(MetadataFormatError, match=message):
        metadata_import(data=load(name))


@pytest.mark.parametrize("location", ["ftp://example.com/x.json", "file:///etc/passwd"])
def test_only_http_urls_and_files(location):
    with pytest.raises(MetadataFormatError, match="Only http"):
        metadata_load(location=location)


@pytest.mark.parametrize("data", [[], "text", {}, {"data": "no"}, {"a": 1}, {"a": {"b": 1}}])
def test_format_detection_rejects_other_json(data):
    with pytest.raises(MetadataFormatError):
        format_detect(data)


def test_openrouter_detected_even_when_empty():
    assert format_detect(json.loads('{"data": []}')) == "openrouter"
