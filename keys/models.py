"""Gateway API keys (stored as digests) and virtual keys (encrypted provider credentials)."""

import re
import secrets
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from keys import crypto
from models_api.outbound import egress
from models_api.providers import provider_names, validate_target_options
from models_api.text import has_control

KEY_PREFIX = "gwk_"
DISPLAY_PREFIX_LENGTH = 12
SLUG_MAX_LENGTH = 100
# A virtual key's slug, as headers and queries must spell it: SlugField's characters and length.
VIRTUAL_KEY_SLUG = re.compile(rf"[-A-Za-z0-9_]{{1,{SLUG_MAX_LENGTH}}}")


def new_raw_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)  # 256 bits


def provider_choices():
    return [(name, name) for name in provider_names()]


class ApiKey(models.Model):
    """A gateway API key. Its scope is deny-by-default: no virtual keys unless chosen or `all`."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=DISPLAY_PREFIX_LENGTH, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    all_virtual_keys = models.BooleanField(
        default=False, help_text="May use every virtual key, including ones added later."
    )
    virtual_keys = models.ManyToManyField("VirtualKey", blank=True, related_name="api_keys")
    model_patterns = models.JSONField(
        default=list,
        blank=True,
        help_text='Optional model-id patterns (shell-style, e.g. "gpt-4o*"); empty: every model.',
    )
    rate_limit_per_minute = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests per minute; empty: unlimited."
    )

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        if not self.is_active:
            return "revoked"
        return "expired" if self.is_expired else "active"

    def clean(self):
        patterns = self.model_patterns
        if not isinstance(patterns, list) or not all(
            isinstance(p, str) and p.strip() for p in patterns
        ):
            message = 'Model patterns must be a list of non-empty strings, e.g. ["gpt-4o*"].'
            raise ValidationError({"model_patterns": message})
        self.model_patterns = [p.strip() for p in patterns]

    def assign_new_key(self) -> str:
        """Give this unsaved key a fresh secret; returns the raw key, which is never stored."""
        raw = new_raw_key()
        self.prefix, self.digest = raw[:DISPLAY_PREFIX_LENGTH], crypto.secret_digest(raw)
        return raw

    def revoke(self):
        self.is_active = False
        self.revoked_at = timezone.now()
        self.save(update_fields=["is_active", "revoked_at"])


class VirtualKey(models.Model):
    """A provider credential stored encrypted, with that provider's settings."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=SLUG_MAX_LENGTH, unique=True, blank=True)
    provider = models.CharField(max_length=40, choices=provider_choices, db_index=True)
    credential_encrypted = models.TextField(blank=True, editable=False)
    credential_last4 = models.CharField(max_length=4, blank=True, editable=False)
    base_url = models.URLField(blank=True, help_text="Overrides the provider's default base URL.")
    options = models.JSONField(
        default=dict,
        blank=True,
        help_text="Provider settings: api_version, azure_resource, aws_region, "
        "aws_access_key_id, openai_organization, openai_project, anthropic_version.",
    )
    is_active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.provider})"

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = _unique_slug(self.name)
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.base_url and urlsplit(self.base_url).scheme not in ("http", "https"):
            errors["base_url"] = "The base URL must start with http:// or https://."
        elif self.base_url and egress.untrusted_private_host(self.base_url):
            errors["base_url"] = (
                "The base URL points at a loopback, private or link-local address, which the "
                "gateway will not call. Use a public address, or ask the operator to add the host "
                "to GATEWAY_TRUSTED_CUSTOM_HOSTS."
            )
        options = self.options
        if not isinstance(options, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and not has_control(k + v)
            for k, v in options.items()
        ):
            errors["options"] = (
                'Options must be a flat JSON object of strings, e.g. {"aws_region": "us-east-1"}, '
                "with no control characters."
            )
        else:
            errors.update(_provider_errors(self.provider, self.base_url, options))
        if errors:
            raise ValidationError(errors)

    def set_credential(self, raw: str):
        self.credential_encrypted = crypto.encrypt(raw) if raw else ""
        self.credential_last4 = raw[-4:] if len(raw) >= 8 else ""

    @property
    def credential(self) -> str:
        return crypto.decrypt(self.credential_encrypted) if self.credential_encrypted else ""

    @property
    def masked_credential(self) -> str:
        if not self.credential_encrypted:
            return ""
        return f"••••{self.credential_last4}" if self.credential_last4 else "••••"


def _provider_errors(provider: str, base_url: str, options: dict) -> dict[str, list[str]]:
    """The provider registry's own checks of its settings (required options, formats)."""
    if provider not in provider_names():
        return {}  # reported by the field's choices
    messages = validate_target_options(provider, options, base_url=base_url)
    return {"options": messages} if messages else {}


def _unique_slug(name: str) -> str:
    base = slugify(name)[:90] or "virtual-key"
    slug, n = base, 2
    while VirtualKey.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
