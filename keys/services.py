"""Key operations shared by the management commands and the admin console."""

from collections.abc import Iterable, Mapping
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from keys import crypto, lookup
from keys.generations import generation_bump
from keys.models import ApiKey, VirtualKey


@transaction.atomic
def api_key_create(
    *,
    name: str,
    all_virtual_keys: bool = False,
    virtual_key_slugs: Iterable[str] = (),
    model_patterns: Iterable[str] = (),
    expires_in_days: int | None = None,
    rate_limit_per_minute: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns (ApiKey, raw key). Raises ValidationError for a bad scope or field.

    With neither `all_virtual_keys` nor slugs the key may use no virtual key (deny by default).
    """
    slugs = sorted(set(virtual_key_slugs))
    if all_virtual_keys and slugs:
        raise ValidationError("Choose either all virtual keys or specific ones, not both.")
    virtual_keys = list(VirtualKey.objects.filter(slug__in=slugs))
    unknown = sorted(set(slugs) - {vk.slug for vk in virtual_keys})
    if unknown:
        raise ValidationError(f"Unknown virtual key slug(s): {', '.join(unknown)}.")
    if expires_in_days is not None and expires_in_days <= 0:
        raise ValidationError("The expiry must be a positive number of days.")
    api_key = ApiKey(
        name=name,
        all_virtual_keys=all_virtual_keys,
        model_patterns=list(model_patterns),
        rate_limit_per_minute=rate_limit_per_minute,
    )
    if expires_in_days is not None:
        api_key.expires_at = timezone.now() + timedelta(days=expires_in_days)
    raw = api_key.assign_new_key()
    api_key.full_clean()
    api_key.save(force_insert=True)
    api_key.virtual_keys.set(virtual_keys)
    return api_key, raw


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Deactivate a key; the saved signal drops its cached snapshot, so it stops at once."""
    if api_key.is_active:
        api_key.revoke()


def api_key_find_one(*, prefix_or_name: str) -> ApiKey:
    """The one active key whose display prefix or exact name (or full raw key) matches.

    Raises ValidationError when none matches or the reference is ambiguous.
    """
    reference = prefix_or_name.strip().rstrip("…")
    matches = list(
        ApiKey.objects.filter(
            Q(prefix=reference) | Q(name=reference) | Q(digest=crypto.secret_digest(reference))
        ).order_by("created_at")
    )
    active = [k for k in matches if k.is_active]
    if not active:
        if matches:
            raise ValidationError(f"API key {reference!r} is already revoked.")
        raise ValidationError(f"No API key has the prefix or name {reference!r}.")
    if len(active) > 1:
        prefixes = ", ".join(k.prefix for k in active)
        raise ValidationError(
            f"{len(active)} active keys match {reference!r} ({prefixes}); "
            "pass one of these prefixes instead."
        )
    return active[0]


@transaction.atomic
def virtual_key_create(
    *,
    name: str,
    provider: str,
    credential: str,
    base_url: str = "",
    options: Mapping[str, str] | None = None,
    slug: str = "",
    notes: str = "",
) -> VirtualKey:
    """Validate and store a virtual key with its credential encrypted; raises ValidationError."""
    virtual_key = VirtualKey(
        name=name,
        provider=provider,
        base_url=base_url,
        options=dict(options or {}),
        slug=slug,
        notes=notes,
    )
    virtual_key.set_credential(credential)
    # An empty slug is derived from the name on save, so it is not validated here.
    virtual_key.full_clean(exclude=None if slug else ["slug"])
    virtual_key.save(force_insert=True)
    return virtual_key


def error_text(exc: ValidationError) -> str:
    """A ValidationError as one line, each message prefixed by its field name."""
    if hasattr(exc, "error_dict"):
        return " ".join(
            f"{field}: {message}" if field != "__all__" else message
            for field, messages in exc.message_dict.items()
            for message in messages
        )
    return " ".join(exc.messages)


def parse_options(pairs: Iterable[str]) -> dict[str, str]:
    """KEY=VALUE strings as a dict; raises ValidationError on a pair without `=` or a key."""
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"Option {pair!r} is not KEY=VALUE.")
        options[key.strip()] = value
    return options


def credentials_rotate() -> int:
    """Re-encrypt every stored credential under the first GATEWAY_ENCRYPTION_KEYS key.

    All in one transaction: if any credential cannot be decrypted, nothing is changed, so no
    credential is lost. Returns how many were re-encrypted.
    """
    with transaction.atomic():
        virtual_keys = list(VirtualKey.objects.select_for_update().exclude(credential_encrypted=""))
        for virtual_key in virtual_keys:
            virtual_key.credential_encrypted = crypto.rotate(virtual_key.credential_encrypted)
        VirtualKey.objects.bulk_update(virtual_keys, ["credential_encrypted"], batch_size=500)
    # bulk_update sends no signals: drop the shared snapshots, which would keep the old
    # ciphertext (and outlive a restart) after the old key is dropped from the settings.
    for virtual_key in virtual_keys:
        lookup.snapshot_drop(lookup.virtual_key_cache_key(virtual_key.slug))
    generation_bump("keys")
    return len(virtual_keys)
