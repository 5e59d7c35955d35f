"""On a change to a key, mark its snapshot changed in the shared cache: every process sees it."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from keys import lookup
from keys.generations import generation_bump
from keys.models import ApiKey, VirtualKey


def _changed(*keys: str) -> None:
    """Drop these snapshots now, and mark them changed once the change is committed; bump the
    keys generation both times, so every process drops its own copies.

    Inside a transaction (the admin's change form) a request between the save and the commit
    reads the old row and may store it; the mark after the commit replaces that copy, and for
    a few seconds keeps any request that read the row before the commit from storing it.
    """
    for key in keys:
        lookup.snapshot_drop(key)
    generation_bump("keys")
    transaction.on_commit(lambda: _committed(keys))


def _committed(keys) -> None:
    for key in keys:
        lookup.snapshot_changed(key)
    generation_bump("keys")


@receiver(post_save, sender=ApiKey)
@receiver(post_delete, sender=ApiKey)
def _forget_api_key(sender, instance, **kwargs):
    _changed(lookup.api_key_cache_key(instance.digest))


@receiver(m2m_changed, sender=ApiKey.virtual_keys.through)
def _forget_scope(sender, instance, pk_set=None, **kwargs):
    if isinstance(instance, ApiKey):
        digests = [instance.digest]
    else:  # changed from the virtual key's side: the API keys named (or all, on clear)
        api_keys = ApiKey.objects.all() if pk_set is None else ApiKey.objects.filter(pk__in=pk_set)
        digests = list(api_keys.values_list("digest", flat=True))
    _changed(*(lookup.api_key_cache_key(key_digest) for key_digest in digests))


@receiver(pre_save, sender=VirtualKey)
def _forget_renamed_virtual_key(sender, instance, **kwargs):
    if instance.pk:
        old = VirtualKey.objects.filter(pk=instance.pk).values_list("slug", flat=True).first()
        if old and old != instance.slug:
            _changed(lookup.virtual_key_cache_key(old))


@receiver(post_save, sender=VirtualKey)
@receiver(post_delete, sender=VirtualKey)
def _forget_virtual_key(sender, instance, **kwargs):
    _changed(lookup.virtual_key_cache_key(instance.slug))
