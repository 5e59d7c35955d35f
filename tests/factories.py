"""factory_boy factories for test data."""

import factory

from keys.models import ApiKey, VirtualKey
from keys.services import api_key_create


class VirtualKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VirtualKey
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Virtual key {n}")
    provider = "openai"
    base_url = ""

    @factory.post_generation
    def credential(self, create, extracted, **kwargs):
        self.set_credential(extracted if extracted is not None else "sk-test-credential-0001")
        if create:
            self.save()


def make_api_key(
    *, virtual_keys=None, all_virtual_keys=None, expires_at=None, **fields
) -> tuple[ApiKey, str]:
    """An ApiKey from keys.services.api_key_create, and its raw value.

    The scope defaults to every virtual key, or exactly `virtual_keys`. `expires_at` may be
    in the past (the service takes only a positive `expires_in_days`); it is set afterwards.
    """
    fields.setdefault("name", "test key")
    if all_virtual_keys is None:
        all_virtual_keys = virtual_keys is None
    api_key, raw = api_key_create(
        all_virtual_keys=all_virtual_keys,
        virtual_key_slugs=[virtual_key.slug for virtual_key in virtual_keys or ()],
        **fields,
    )
    if expires_at is not None:
        api_key.expires_at = expires_at
        api_key.save(update_fields=["expires_at"])
    return api_key, raw


class CatalogEntryFactory(factory.django.DjangoModelFactory):
    """A listed catalog entry; pass `synced` / `overrides` dicts, effective values follow."""

    class Meta:
        model = "models_api.CatalogEntry"

    virtual_key = factory.SubFactory(VirtualKeyFactory)
    model_id = factory.Sequence(lambda n: f"model-{n:04d}")
    provider = factory.SelfAttribute("virtual_key.provider")
    public_id = factory.LazyAttribute(lambda o: f"@{o.virtual_key.slug}/{o.model_id}")
    created = 1700000000
    owned_by = "system"
    synced = factory.LazyFunction(dict)
    overrides = factory.LazyFunction(dict)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        entry = model_class(*args, **kwargs)
        entry.resolve()
        entry.save()
        return entry
