"""The one access resolver: which virtual keys and model ids an API key may see and use."""

from dataclasses import dataclass
from fnmatch import fnmatchcase

from keys.models import ApiKey, VirtualKey


@dataclass(frozen=True)
class Access:
    """Deny by default: no virtual keys unless `all_virtual_keys` or listed by id."""

    all_virtual_keys: bool = False
    virtual_key_ids: frozenset[int] = frozenset()
    model_patterns: tuple[str, ...] = ()

    def allows_virtual_key(self, virtual_key: VirtualKey) -> bool:
        return virtual_key.is_active and (
            self.all_virtual_keys or virtual_key.pk in self.virtual_key_ids
        )

    def allows_model(self, *model_ids: str) -> bool:
        """True when no patterns are set, or one pattern matches any of the model's ids."""
        if not self.model_patterns:
            return True
        return any(fnmatchcase(m, p) for p in self.model_patterns for m in model_ids if m)

    @property
    def unrestricted(self) -> bool:
        """Every virtual key and every model: nothing to filter."""
        return self.all_virtual_keys and not self.model_patterns

    def virtual_key_slugs(self) -> frozenset[str] | None:
        """The slugs of the virtual keys this key may use; None when it may use all."""
        if self.all_virtual_keys:
            return None
        return frozenset(self.virtual_keys().values_list("slug", flat=True))

    def allows_listed(self, item: object, slugs: frozenset[str] | None) -> bool:
        """Whether a listed model (a dict in OpenAI's shape, as another gateway lists it) is
        in scope: its virtual key (its `virtual_key` field, or the slug of an "@slug/model"
        id) among `slugs` (from virtual_key_slugs()), and its ids allowed by the patterns.

        A model naming no virtual key is in scope only for a key that may use them all.
        """
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return False
        public_id = item["id"]
        slug, model_id = _listed_parts(item, public_id)
        if slugs is not None and slug not in slugs:
            return False
        return self.allows_model(model_id, public_id)

    def virtual_keys(self):
        """The active virtual keys this key may use, as a queryset."""
        queryset = VirtualKey.objects.filter(is_active=True)
        if self.all_virtual_keys:
            return queryset
        return queryset.filter(pk__in=self.virtual_key_ids)


NO_ACCESS = Access()


def _listed_parts(item: dict, public_id: str) -> tuple[str | None, str]:
    """(virtual key slug or None, the provider's model id) of a listed model."""
    slug, model_id = None, public_id
    if public_id.startswith("@") and "/" in public_id:
        slug, model_id = public_id[1:].split("/", 1)
    if isinstance(item.get("virtual_key"), str):
        slug = item["virtual_key"]
    if isinstance(item.get("slug"), str) and item["slug"]:
        model_id = item["slug"]
    return slug, model_id


def access_resolve(*, api_key: ApiKey | None) -> Access:
    """The scope of `api_key`; a request without a key (open mode) has no virtual keys."""
    if api_key is None:
        return NO_ACCESS
    ids = getattr(api_key, "virtual_key_ids", None)
    if ids is None:
        ids = frozenset(api_key.virtual_keys.values_list("id", flat=True))
    patterns = tuple(p for p in (api_key.model_patterns or []) if isinstance(p, str) and p)
    return Access(
        all_virtual_keys=api_key.all_virtual_keys,
        virtual_key_ids=ids,
        model_patterns=patterns,
    )
