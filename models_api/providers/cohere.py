"""Cohere: Bearer auth, page_token paging, models named rather than id'd, the v2 API."""

from models_api.providers import fields
from models_api.providers.base import Call, Cursor, Model, ProviderClient


class CohereClient(ProviderClient):
    slug = "cohere"
    base_url = "https://api.cohere.com"
    list_path = "/v1/models"  # https://docs.cohere.com/reference/list-models
    list_field = "models"
    retrieve_path = "/v1/models/{id}"  # https://docs.cohere.com/reference/get-model
    cursor = Cursor(size=("page_size", "1000"), param="page_token", next="next_page_token")
    # https://docs.cohere.com/reference/chat (streamed with "stream": true in the body) and
    # https://docs.cohere.com/reference/embed
    calls = {"chat": Call("/v2/chat"), "embeddings": Call("/v2/embed")}
    translated = True

    def _model(self, item: dict) -> Model:
        return Model(
            id=fields.text(item, "name", self.slug),
            owned_by=self.slug,
            context_length=fields.opt_int(item.get("context_length")),
            capabilities=fields.strs(item.get("endpoints")),
        )
