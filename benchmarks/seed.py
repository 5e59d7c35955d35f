"""Seed the benchmark database in-process through the ORM: keys, virtual keys, catalog entries."""

import os
import secrets
import time
from dataclasses import dataclass

import django
from cryptography.fernet import Fernet


def environment(*, database_url: str, cache_url: str, provider_hosts: list[str]) -> dict:
    """Settings for this process and the gateway it starts (fresh secrets, plain HTTP)."""
    env = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "GATEWAY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        # The fake providers listen on loopback, which virtual keys may reach only when trusted.
        "GATEWAY_TRUSTED_CUSTOM_HOSTS": ",".join(provider_hosts),
        "LOG_LEVEL": "WARNING",
    }
    if cache_url:
        env["CACHE_URL"] = cache_url
    return env


def django_start(env: dict) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "gateway_project.settings"
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


@dataclass(frozen=True)
class Fixture:
    """What the load runs call: raw gateway keys, virtual key slugs and a model id."""

    small_key: str  # scope: the 40-entry catalog and the fast provider's virtual key
    large_key: str  # scope: the 10,000-entry catalog
    provider_slug: str
    catalog_model: str


def table_fixture(*, provider_url: str) -> Fixture:
    from keys.models import VirtualKey
    from keys.services import api_key_create

    fast = _virtual_key("bench-fast", provider_url)
    small = _virtual_key("bench-40", provider_url)
    catalog_entries(small, 40)
    large = []
    for n in range(5):
        virtual_key = _virtual_key(f"bench-10k-{n}", provider_url)
        catalog_entries(virtual_key, 2_000)
        large.append(virtual_key)
    _, small_raw = api_key_create(name="bench small", virtual_key_slugs=[fast.slug, small.slug])
    _, large_raw = api_key_create(name="bench large", virtual_key_slugs=[v.slug for v in large])
    assert VirtualKey.objects.count() == 7
    return Fixture(small_raw, large_raw, fast.slug, f"@{small.slug}/model-00007")


def _virtual_key(slug: str, provider_url: str):
    from keys.models import VirtualKey

    virtual_key = VirtualKey(name=slug, slug=slug, provider="openai", base_url=f"{provider_url}/v1")
    virtual_key.set_credential(f"sk-bench-{slug}")  # distinct keys: distinct cache entries
    virtual_key.save()
    return virtual_key


def catalog_entries(virtual_key, count: int) -> None:
    """`count` listed entries with realistic metadata, as a sync would leave them."""
    from models_api.models import CatalogEntry, public_id_for

    entries = []
    for n in range(count):
        model_id = f"model-{n:05d}"
        entry = CatalogEntry(
            virtual_key=virtual_key,
            provider=virtual_key.provider,
            model_id=model_id,
            public_id=public_id_for(virtual_key.slug, model_id),
            created=1_715_367_049 + n,
            owned_by="fake-org",
            synced={
                "name": f"Model {n}",
                "context_length": 128_000,
                "max_output_tokens": 16_384,
                "input_price": "0.0000025",
                "output_price": "0.00001",
                "input_modalities": ["text", "image"],
                "output_modalities": ["text"],
                "capabilities": ["tools", "vision"],
            },
        )
        entry.resolve()
        entries.append(entry)
    CatalogEntry.objects.bulk_create(entries, batch_size=500)


def virtual_keys(prefix: str, count: int, provider_url: str) -> list:
    return [_virtual_key(f"{prefix}-{n:02d}", provider_url) for n in range(count)]


def api_key_scoped(virtual_keys_: list) -> str:
    from keys.services import api_key_create

    _, raw = api_key_create(name="bench scoped", virtual_key_slugs=[v.slug for v in virtual_keys_])
    return raw


def api_keys_bulk(total: int) -> float:
    """Bring the ApiKey table to `total` rows with real digests; returns the seconds taken."""
    from keys.models import ApiKey

    started = time.perf_counter()
    missing = total - ApiKey.objects.count()
    batch = []
    for n in range(missing):
        api_key = ApiKey(name=f"bulk {n}")
        api_key.assign_new_key()
        batch.append(api_key)
        if len(batch) == 5_000:
            ApiKey.objects.bulk_create(batch)
            batch = []
    ApiKey.objects.bulk_create(batch)
    return time.perf_counter() - started
