"""rotate_encryption_key: every credential survives a key rotation."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from keys import lookup
from keys.models import VirtualKey
from tests.factories import VirtualKeyFactory

pytestmark = pytest.mark.django_db


def raw_column(pk):
    with connection.cursor() as cursor:
        cursor.execute("SELECT credential_encrypted FROM keys_virtualkey WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_rotation_reencrypts_and_old_key_can_be_removed(settings):
    old_key = settings.GATEWAY_ENCRYPTION_KEYS[0]
    first = VirtualKeyFactory(credential="sk-first-credential")
    second = VirtualKeyFactory(credential="sk-second-credential")
    empty = VirtualKeyFactory(credential="")
    before = raw_column(first.pk)

    new_key = Fernet.generate_key().decode()
    settings.GATEWAY_ENCRYPTION_KEYS = [new_key, old_key]
    out = StringIO()
    call_command("rotate_encryption_key", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "re-encrypted 2 credentials"
    assert raw_column(first.pk) != before
    assert Fernet(new_key).decrypt(raw_column(first.pk).encode()) == b"sk-first-credential"

    settings.GATEWAY_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    assert VirtualKey.objects.get(pk=first.pk).credential == "sk-first-credential"
    assert VirtualKey.objects.get(pk=second.pk).credential == "sk-second-credential"
    assert VirtualKey.objects.get(pk=empty.pk).credential == ""


def test_rotation_without_the_old_key_changes_nothing(settings):
    vk = VirtualKeyFactory(credential="sk-keep-me-safe")
    before = raw_column(vk.pk)
    settings.GATEWAY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("rotate_encryption_key", stdout=StringIO())
    assert raw_column(vk.pk) == before


def test_rotation_drops_cached_snapshots_that_hold_the_old_ciphertext(settings):
    old_key = settings.GATEWAY_ENCRYPTION_KEYS[0]
    virtual_key = VirtualKeyFactory(credential="sk-cached-credential")
    # The provider route has used it: its snapshot is in the shared cache and this process.
    assert lookup.virtual_key_find(slug=virtual_key.slug).credential == "sk-cached-credential"

    new_key = Fernet.generate_key().decode()
    settings.GATEWAY_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_encryption_key", stdout=StringIO())
    settings.GATEWAY_ENCRYPTION_KEYS = [new_key]  # the old key is gone

    assert lookup.virtual_key_find(slug=virtual_key.slug).credential == "sk-cached-credential"
