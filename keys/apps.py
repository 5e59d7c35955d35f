"""App config for gateway API keys and virtual keys."""

from django.apps import AppConfig


class KeysConfig(AppConfig):
    name = "keys"
    verbose_name = "Keys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from keys import signals  # noqa: F401  (cache invalidation on save)
