"""App config for the /v1/models API and the local model catalog."""

from django.apps import AppConfig
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save


class ModelsApiConfig(AppConfig):
    name = "models_api"
    verbose_name = "Models"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from models_api import checks  # noqa: F401  registers the deployment checks

        # Django's two request signals take their lock on every send: without use_caching a
        # send rebuilds its receiver list under the signal's lock. Under load, with hundreds of
        # threads in a worker, each hand-over of that lock waited for the GIL and the threads
        # queued behind it (220 of a worker's 242 threads at once in the soak, each one a
        # request Granian had to give a new thread to). Their receivers are connected at start
        # and looked up by the handler's class; connect and disconnect still clear the cache.
        for signal in (request_started, request_finished):
            signal.use_caching = True

        # A renamed virtual key renames its catalog ids at once, not only at the next sync.
        post_save.connect(
            _virtual_key_saved, sender="keys.VirtualKey", dispatch_uid="catalog_public_ids"
        )
        # Cached catalog pages must not outlive a change to what they show.
        for signal in (post_save, post_delete):
            for sender in ("keys.VirtualKey", "models_api.CatalogEntry"):
                signal.connect(_catalog_changed, sender=sender, dispatch_uid=f"catalog-{sender}")


def _virtual_key_saved(sender, instance, created, **kwargs):
    if not created:
        from models_api.catalog.sync import catalog_public_ids_refresh

        catalog_public_ids_refresh(virtual_key=instance)


def _catalog_changed(sender, **kwargs):
    from django.db import transaction

    from models_api.catalog.query import catalog_changed

    catalog_changed()
    transaction.on_commit(catalog_changed)  # a page cached before the commit is dropped too
