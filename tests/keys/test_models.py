"""ApiKey generation, storage, expiry and revocation; VirtualKey encryption and validation."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from keys.crypto import secret_digest
from keys.models import KEY_PREFIX, VirtualKey
from keys.services import api_key_create
from tests.factories import VirtualKeyFactory, make_api_key

pytestmark = pytest.mark.django_db


def test_generated_key_has_prefix_and_at_least_128_bits():
    _, raw = make_api_key()
    body = raw.removeprefix(KEY_PREFIX)
    assert raw.startswith(KEY_PREFIX)
    assert len(body) * 6 >= 128  # url-safe base64: 6 bits per character


def test_keys_are_unique():
    raws = {make_api_key()[1] for _ in range(20)}
    assert len(raws) == 20


def test_only_digest_and_display_prefix_are_stored():
    api_key, raw = make_api_key(name="stored")
    assert api_key.digest == secret_digest(raw)
    assert api_key.prefix == raw[:12]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM keys_apikey WHERE id = %s", [api_key.pk])
        row = cursor.fetchone()
    assert not any(raw in str(value) for value in row)


def test_status_active_expired_revoked():
    active, _ = make_api_key()
    expired, _ = make_api_key(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, _ = make_api_key()
    revoked.revoke()
    revoked.refresh_from_db()
    assert (active.status, expired.status, revoked.status) == ("active", "expired", "revoked")
    assert revoked.revoked_at is not None
    assert not revoked.is_active


def test_expires_in_days_sets_expiry():
    api_key, _ = api_key_create(name="x", expires_in_days=3)
    remaining = api_key.expires_at - timezone.now()
    assert timedelta(days=2, hours=23) < remaining <= timedelta(days=3)
    assert not api_key.is_expired


@pytest.mark.parametrize("patterns", [[""], ["  "], [1], "gpt-*", {"a": "b"}])
def test_model_patterns_must_be_a_list_of_non_empty_strings(patterns):
    api_key, _ = make_api_key()
    api_key.model_patterns = patterns
    with pytest.raises(ValidationError) as exc:
        api_key.full_clean()
    assert "model_patterns" in exc.value.message_dict


def test_credential_is_encrypted_at_rest_and_masked():
    virtual_key = VirtualKeyFactory(credential="sk-plaintext-secret-9876")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credential_encrypted FROM keys_virtualkey WHERE id = %s", [virtual_key.pk]
        )
        (stored,) = cursor.fetchone()
    assert "sk-plaintext-secret" not in stored
    assert VirtualKey.objects.get(pk=virtual_key.pk).credential == "sk-plaintext-secret-9876"
    assert virtual_key.masked_credential == "••••9876"


def test_slug_is_derived_from_name_and_unique():
    first = VirtualKeyFactory(name="OpenAI prod")
    second = VirtualKeyFactory(name="OpenAI prod")
    assert (first.slug, second.slug) == ("openai-prod", "openai-prod-2")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"provider": "azure-openai"}, "options"),
        ({"provider": "bedrock"}, "options"),
        ({"provider": "openai", "base_url": "ftp://models.internal"}, "base_url"),
        ({"provider": "openai", "options": {"nested": {"a": "b"}}}, "options"),
        ({"provider": "openai", "options": ["list"]}, "options"),
        ({"provider": "no-such-provider"}, "provider"),
    ],
)
def test_virtual_key_settings_are_validated(fields, field):
    virtual_key = VirtualKey(name="v", slug="v", **fields)
    with pytest.raises(ValidationError) as exc:
        virtual_key.full_clean()
    assert field in exc.value.message_dict


@pytest.mark.parametrize(
    "fields",
    [
        {"provider": "azure-openai", "options": {"azure_resource": "my-resource"}},
        {"provider": "azure-openai", "base_url": "https://proxy.example.com/openai"},
        {"provider": "bedrock", "options": {"aws_region": "us-east-1"}},
        {"provider": "openai", "base_url": "http://127.0.0.1:8000/v1"},
    ],
)
def test_valid_virtual_key_settings_pass(fields, settings):
    settings.GATEWAY_TRUSTED_CUSTOM_HOSTS = ["127.0.0.1:8000"]  # loopback needs trusting
    VirtualKey(name="v", slug="v", **fields).full_clean()
