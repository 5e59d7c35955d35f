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

    def virtual_keys(self):
        """The active virtual keys this key may use, as a queryset."""
        queryset = VirtualKey.objects.filter(is_active=True)
        if self.all_virtual_keys:
            return queryset
        return queryset.filter(pk__in=self.virtual_key_ids)


NO_ACCESS = Access()


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
