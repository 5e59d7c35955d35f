"""factory_boy factories for test data."""

import factory

from keys.models import ApiKey, VirtualKey


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


def make_api_key(**fields) -> tuple[ApiKey, str]:
    """An ApiKey and its raw value; scope defaults to every virtual key."""
    virtual_keys = fields.pop("virtual_keys", None)
    fields.setdefault("name", "test key")
    fields.setdefault("all_virtual_keys", virtual_keys is None)
    api_key, raw = ApiKey.objects.create_key(**fields)
    if virtual_keys:
        api_key.virtual_keys.set(virtual_keys)
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
