"""A fake provider client for catalog tests: lists chosen per credential, no HTTP."""

from models_api.providers.base import EMPTY, Model, ModelList, ProviderClient


class FakeProvider(ProviderClient):
    """Answers list_models from `lists[credential]`: a list of Models, or an exception to raise."""

    slug = "openai"

    def __init__(self):
        self.lists: dict[str, list[Model] | Exception] = {}
        self.calls: list[str] = []

    def list_models(self, target, query=EMPTY):
        self.calls.append(target.credential)
        found = self.lists[target.credential]
        if isinstance(found, Exception):
            raise found
        return ModelList(models=tuple(found))


def models(*ids: str, **fields) -> list[Model]:
    return [Model(id=model_id, **fields) for model_id in ids]
