"""One row per model call (DESIGN section 12), written in batches by usage.recorder."""

from django.db import models
from django.utils import timezone


class Usage(models.Model):
    """A call to /v1/chat/completions, /v1/completions or /v1/embeddings.

    Token columns are null when the provider reported none (an error, or a stream cut
    before its usage chunk). `cost` is in USD, from the catalog's per-token prices (see
    usage.cost), null when a price it needs is unknown.
    """

    class Route(models.TextChoices):
        CHAT = "chat", "chat completions"
        COMPLETIONS = "completions"
        EMBEDDINGS = "embeddings"

    # Usage outlives the keys it names: deleting a key keeps its history, unattributed.
    api_key = models.ForeignKey(
        "keys.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    virtual_key = models.ForeignKey(
        "keys.VirtualKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=40)
    model = models.CharField(max_length=255, help_text="The provider's own model id.")
    route = models.CharField(max_length=12, choices=Route.choices)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    cached_tokens = models.PositiveIntegerField(null=True, blank=True)
    reasoning_tokens = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(
        max_digits=20, decimal_places=10, null=True, blank=True, help_text="USD."
    )
    status = models.PositiveSmallIntegerField(help_text="The HTTP status the client got.")
    latency_ms = models.PositiveIntegerField(help_text="Until the last byte, for a stream.")
    stream = models.BooleanField(default=False)
    trace_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "usage record"
        verbose_name_plural = "usage"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="usage_created"),
            models.Index(fields=["api_key", "created_at"], name="usage_key_created"),
            models.Index(fields=["virtual_key", "created_at"], name="usage_vkey_created"),
            models.Index(fields=["model", "created_at"], name="usage_model_created"),
        ]

    def __str__(self):
        return f"{self.provider}/{self.model} {self.created_at:%Y-%m-%d %H:%M:%S}"
