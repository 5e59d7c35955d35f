"""Google Gemini (Generative Language API): x-goog-api-key, pageToken paging, `models/` ids."""

import re
from collections.abc import Mapping

from models_api.outbound import http
from models_api.providers import common
from models_api.providers.base import EMPTY, Model, ModelList, Target

BASE_URL = "https://generativelanguage.googleapis.com"
API_VERSION = "v1beta"
API_VERSION_PATTERN = re.compile(r"^v\d+(alpha|beta)?$")
PAGE_SIZE = "1000"  # the API's maximum; larger values are silently capped


class GoogleClient(common.Client):
    slug = "google"
    paging_params = frozenset({"pageSize", "pageToken"})
    option_keys = frozenset({"api_version"})

    def check_options(self, options: Mapping[str, str], base_url: str) -> list[str]:
        errors = super().check_options(options, base_url)
        version = options.get("api_version")
        if version and not API_VERSION_PATTERN.match(version):
            errors.append(f"api_version {version!r} is not a Gemini API version such as 'v1beta'.")
        return errors

    def list_models(self, target: Target, query: Mapping[str, str] = EMPTY) -> ModelList:
        params = common.pass_through(query, provider=self.slug)
        until = http.new_deadline()
        if self.paging_params & params.keys():
            data = self._get(target, "/models", params, until)
            paging = {"nextPageToken": data["nextPageToken"]} if data.get("nextPageToken") else {}
            return ModelList(self._models(data), paging=paging)

        def page(cursor: str | None) -> tuple[list[Model], str | None]:
            walk = {**params, "pageSize": PAGE_SIZE, **({"pageToken": cursor} if cursor else {})}
            data = self._get(target, "/models", walk, until)
            return list(self._models(data)), common.opt_str(data.get("nextPageToken"))

        return ModelList(common.walk_pages(page, provider=self.slug))

    def retrieve_model(self, target: Target, model_id: str) -> Model:
        # https://ai.google.dev/api/models#method:-models.get
        path = "/models/" + common.model_path(model_id.removeprefix("models/"), self.slug)
        with common.missing_is_not_found(model_id, self.slug):
            data = self._get(target, path, {}, http.new_deadline())
        return self._model(data)

    def _get(self, target: Target, path: str, params: dict, until: float) -> dict:
        # https://ai.google.dev/api/models#method:-models.list - the key goes in a header,
        # not in `?key=`, so it never appears in a URL that something might log.
        self.require_valid(target)
        version = target.options.get("api_version") or API_VERSION
        url = f"{common.base_url(target, BASE_URL)}/{version}{path}"
        headers = {"x-goog-api-key": target.credential}
        data = http.get_json(
            url, provider=self.slug, headers=headers, params=params, deadline=until
        )
        return common.obj(data, self.slug)

    def _models(self, data: dict) -> tuple[Model, ...]:
        # An empty account page omits `models` altogether.
        if "models" not in data and set(data) <= {"nextPageToken"}:
            return ()
        return tuple(self._model(item) for item in common.items(data, "models", self.slug))

    def _model(self, item: dict) -> Model:
        return Model(
            id=common.text(item, "name", self.slug).removeprefix("models/"),
            owned_by=self.slug,
            name=common.opt_str(item.get("displayName")),
            context_length=common.opt_int(item.get("inputTokenLimit")),
            max_output_tokens=common.opt_int(item.get("outputTokenLimit")),
            capabilities=common.strs(item.get("supportedGenerationMethods")),
        )
