"""Anthropic's models API: x-api-key plus anthropic-version, cursor paging by after_id."""

from collections.abc import Mapping

from models_api.errors import BadGateway
from models_api.outbound import http
from models_api.providers import common
from models_api.providers.base import EMPTY, Model, ModelList, Target

BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
PAGE_FIELDS = ("has_more", "first_id", "last_id")


class AnthropicClient(common.Client):
    slug = "anthropic"
    paging_params = frozenset({"limit", "after_id", "before_id"})
    option_keys = frozenset({"anthropic_version", "anthropic_beta"})

    def list_models(self, target: Target, query: Mapping[str, str] = EMPTY) -> ModelList:
        params = common.pass_through(query, provider=self.slug)
        until = http.new_deadline()
        if self.paging_params & params.keys():
            data = self._get(target, "/v1/models", params, until)
            models = self._models(data)
            return ModelList(models, paging={k: data[k] for k in PAGE_FIELDS if k in data})

        def page(cursor: str | None) -> tuple[list[Model], str | None]:
            # Largest page the API allows, so a walk takes as few calls as possible.
            walk = {**params, "limit": "1000", **({"after_id": cursor} if cursor else {})}
            data = self._get(target, "/v1/models", walk, until)
            models = list(self._models(data))
            if data.get("has_more") is not True:
                return models, None
            if not common.opt_str(data.get("last_id")):
                raise BadGateway(
                    f"{self.slug} said has_more without a last_id to continue from.",
                    provider=self.slug,
                )
            return models, data["last_id"]

        return ModelList(common.walk_pages(page, provider=self.slug))

    def retrieve_model(self, target: Target, model_id: str) -> Model:
        # https://docs.anthropic.com/en/api/models (also resolves aliases to a dated id)
        path = "/v1/models/" + common.model_path(model_id, self.slug)
        with common.missing_is_not_found(model_id, self.slug):
            data = self._get(target, path, {}, http.new_deadline())
        return self._model(common.obj(data, self.slug))

    def _get(self, target: Target, path: str, params: dict, until: float) -> dict:
        # https://docs.anthropic.com/en/api/models-list
        self.require_valid(target)
        headers = {
            "x-api-key": target.credential,
            "anthropic-version": target.options.get("anthropic_version") or API_VERSION,
        }
        if target.options.get("anthropic_beta"):
            headers["anthropic-beta"] = target.options["anthropic_beta"]
        url = common.base_url(target, BASE_URL) + path
        data = http.get_json(
            url, provider=self.slug, headers=headers, params=params, deadline=until
        )
        return common.obj(data, self.slug)

    def _models(self, data: dict) -> tuple[Model, ...]:
        return tuple(self._model(item) for item in common.items(data, "data", self.slug))

    def _model(self, item: dict) -> Model:
        if item.get("type", "model") != "model":
            raise BadGateway(f"{self.slug} listed an item that is not a model.", provider=self.slug)
        return Model(
            id=common.text(item, "id", self.slug),
            created=common.unix(item.get("created_at")),  # the epoch when the date is unknown
            owned_by=self.slug,
            name=common.opt_str(item.get("display_name")),
            context_length=common.opt_int(item.get("max_input_tokens")),
            max_output_tokens=common.opt_int(item.get("max_tokens")),
            capabilities=common.flags(item.get("capabilities")),
        )
