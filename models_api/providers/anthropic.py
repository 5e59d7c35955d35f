"""Anthropic: x-api-key plus anthropic-version, cursor paging by after_id, the Messages API."""

from models_api.errors import BadGateway
from models_api.providers import fields
from models_api.providers.base import Call, Cursor, Endpoint, Model, ProviderClient, Target

API_VERSION = "2023-06-01"


class AnthropicClient(ProviderClient):
    slug = "anthropic"
    base_url = "https://api.anthropic.com"
    list_path = "/v1/models"  # https://docs.anthropic.com/en/api/models-list
    retrieve_path = "/v1/models/{id}"  # https://docs.anthropic.com/en/api/models (resolves aliases)
    # The largest page the API allows, so a walk takes as few calls as possible.
    cursor = Cursor(
        size=("limit", "1000"),
        param="after_id",
        next="last_id",
        has_more="has_more",
        also=("before_id",),
        fields=("first_id",),
    )
    # https://docs.anthropic.com/en/api/messages (streamed with "stream": true in the body)
    calls = {"chat": Call("/v1/messages")}
    translated = True
    option_keys = frozenset({"anthropic_version", "anthropic_beta"})

    def _endpoint(self, target: Target, path: str, *, call: bool = False) -> Endpoint:
        headers = {
            "x-api-key": target.credential,
            "anthropic-version": target.options.get("anthropic_version") or API_VERSION,
        }
        if target.options.get("anthropic_beta"):
            headers["anthropic-beta"] = target.options["anthropic_beta"]
        return Endpoint(self._root(target, call=call) + path, headers, secrets=(target.credential,))

    def _model(self, item: dict) -> Model:
        if item.get("type", "model") != "model":
            raise BadGateway(f"{self.slug} listed an item that is not a model.", provider=self.slug)
        return Model(
            id=fields.text(item, "id", self.slug),
            created=fields.unix(item.get("created_at")),  # the epoch when the date is unknown
            owned_by=self.slug,
            name=fields.opt_str(item.get("display_name")),
            context_length=fields.opt_int(item.get("max_input_tokens")),
            max_output_tokens=fields.opt_int(item.get("max_tokens")),
            capabilities=fields.flags(item.get("capabilities")),
        )
