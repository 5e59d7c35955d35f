"""Google Gemini (Generative Language API): x-goog-api-key, pageToken paging, `models/` ids."""

import re
from collections.abc import Mapping

from models_api.providers import fields
from models_api.providers.base import Call, Cursor, Endpoint, Model, ProviderClient, Target

API_VERSION = "v1beta"
API_VERSION_PATTERN = re.compile(r"^v\d+(alpha|beta)?$")


class GoogleClient(ProviderClient):
    slug = "google"
    base_url = "https://generativelanguage.googleapis.com"
    list_path = "/models"  # https://ai.google.dev/api/models#method:-models.list
    list_field = "models"
    retrieve_path = "/models/{id}"  # https://ai.google.dev/api/models#method:-models.get
    model_prefix = "models/"
    # 1000 is the API's maximum page; larger values are silently capped.
    cursor = Cursor(size=("pageSize", "1000"), param="pageToken", next="nextPageToken")
    # https://ai.google.dev/api/generate-content and https://ai.google.dev/api/embeddings
    calls = {
        "chat": Call(
            "/models/{model}:generateContent",
            stream_path="/models/{model}:streamGenerateContent",
            stream_params={"alt": "sse"},
        ),
        "embeddings": Call("/models/{model}:batchEmbedContents"),
    }
    translated = True
    option_keys = frozenset({"api_version"})

    def check_options(self, options: Mapping[str, str], base_url: str) -> list[str]:
        errors = super().check_options(options, base_url)
        version = options.get("api_version")
        if version and not API_VERSION_PATTERN.match(version):
            errors.append(f"api_version {version!r} is not a Gemini API version such as 'v1beta'.")
        return errors

    def _endpoint(self, target: Target, path: str, *, call: bool = False) -> Endpoint:
        # The key goes in a header, not in `?key=`, so it never appears in a logged URL.
        version = target.options.get("api_version") or API_VERSION
        url = f"{self._root(target, call=call)}/{version}{path}"
        return Endpoint(url, {"x-goog-api-key": target.credential}, secrets=(target.credential,))

    def _models(self, data: object) -> tuple[Model, ...]:
        # An empty account's page omits `models` altogether.
        if isinstance(data, dict) and "models" not in data and set(data) <= {"nextPageToken"}:
            return ()
        return super()._models(data)

    def _model(self, item: dict) -> Model:
        return Model(
            id=fields.text(item, "name", self.slug).removeprefix(self.model_prefix),
            owned_by=self.slug,
            name=fields.opt_str(item.get("displayName")),
            context_length=fields.opt_int(item.get("inputTokenLimit")),
            max_output_tokens=fields.opt_int(item.get("outputTokenLimit")),
            capabilities=fields.strs(item.get("supportedGenerationMethods")),
        )
