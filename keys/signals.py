"""Drop cached key snapshots when a key changes, so revocation takes effect at once."""

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from keys.lookup import forget, virtual_key_cache_key
from keys.models import ApiKey, VirtualKey


def _now_and_on_commit(drop) -> None:
    """Drop a snapshot now and again after the commit.

    Inside a transaction (the admin's change form) a request between the save and the commit
    would read the old row and cache it again; the second drop removes that copy.
    """
    drop()
    transaction.on_commit(drop)


@receiver(post_save, sender=ApiKey)
@receiver(post_delete, sender=ApiKey)
def _forget_api_key(sender, instance, **kwargs):
    _now_and_on_commit(lambda: forget(instance.digest))


@receiver(m2m_changed, sender=ApiKey.virtual_keys.through)
def _forget_scope(sender, instance, pk_set=None, **kwargs):
    if isinstance(instance, ApiKey):
        digests = [instance.digest]
    else:  # changed from the virtual key's side: the API keys named (or all, on clear)
        api_keys = ApiKey.objects.all() if pk_set is None else ApiKey.objects.filter(pk__in=pk_set)
        digests = list(api_keys.values_list("digest", flat=True))
    _now_and_on_commit(lambda: [forget(key_digest) for key_digest in digests])


@receiver(pre_save, sender=VirtualKey)
def _forget_renamed_virtual_key(sender, instance, **kwargs):
    if instance.pk:
        old = VirtualKey.objects.filter(pk=instance.pk).values_list("slug", flat=True).first()
        if old and old != instance.slug:
            _now_and_on_commit(lambda: cache.delete(virtual_key_cache_key(old)))


@receiver(post_save, sender=VirtualKey)
@receiver(post_delete, sender=VirtualKey)
def _forget_virtual_key(sender, instance, **kwargs):
    _now_and_on_commit(lambda: cache.delete(virtual_key_cache_key(instance.slug)))
