"""Cohere's models API: Bearer auth, page_token paging, models named rather than id'd."""

from collections.abc import Mapping

from models_api.outbound import http
from models_api.providers import common
from models_api.providers.base import EMPTY, Model, ModelList, Target

BASE_URL = "https://api.cohere.com"
PAGE_SIZE = "1000"  # the API's maximum


class CohereClient(common.Client):
    slug = "cohere"
    paging_params = frozenset({"page_size", "page_token"})

    def list_models(self, target: Target, query: Mapping[str, str] = EMPTY) -> ModelList:
        params = common.pass_through(query, provider=self.slug)
        until = http.new_deadline()
        if self.paging_params & params.keys():
            data = self._get(target, "/v1/models", params, until)
            token = common.opt_str(data.get("next_page_token"))
            return ModelList(self._models(data), paging={"next_page_token": token} if token else {})

        def page(cursor: str | None) -> tuple[list[Model], str | None]:
            walk = {**params, "page_size": PAGE_SIZE, **({"page_token": cursor} if cursor else {})}
            data = self._get(target, "/v1/models", walk, until)
            return list(self._models(data)), common.opt_str(data.get("next_page_token"))

        return ModelList(common.walk_pages(page, provider=self.slug))

    def retrieve_model(self, target: Target, model_id: str) -> Model:
        # https://docs.cohere.com/reference/get-model
        path = "/v1/models/" + common.model_path(model_id, self.slug)
        with common.missing_is_not_found(model_id, self.slug):
            data = self._get(target, path, {}, http.new_deadline())
        return self._model(data)

    def _get(self, target: Target, path: str, params: dict, until: float) -> dict:
        # https://docs.cohere.com/reference/list-models
        self.require_valid(target)
        url = common.base_url(target, BASE_URL) + path
        headers = {"Authorization": f"Bearer {target.credential}"}
        data = http.get_json(
            url, provider=self.slug, headers=headers, params=params, deadline=until
        )
        return common.obj(data, self.slug)

    def _models(self, data: dict) -> tuple[Model, ...]:
        return tuple(self._model(item) for item in common.items(data, "models", self.slug))

    def _model(self, item: dict) -> Model:
        return Model(
            id=common.text(item, "name", self.slug),
            owned_by=self.slug,
            context_length=common.opt_int(item.get("context_length")),
            capabilities=common.strs(item.get("endpoints")),
        )
