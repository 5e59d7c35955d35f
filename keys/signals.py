"""Drop cached key snapshots when a key changes, so revocation takes effect at once."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from keys.lookup import forget
from keys.models import ApiKey


@receiver(post_save, sender=ApiKey)
@receiver(post_delete, sender=ApiKey)
def _forget_api_key(sender, instance, **kwargs):
    forget(instance.digest)


@receiver(m2m_changed, sender=ApiKey.virtual_keys.through)
def _forget_scope(sender, instance, **kwargs):
    if isinstance(instance, ApiKey):
        forget(instance.digest)
