"""Azure OpenAI: the models a resource can use, `GET /openai/models?api-version=...`."""

import re
from collections.abc import Mapping

from models_api.outbound import http
from models_api.providers import common
from models_api.providers.base import EMPTY, Model, ModelList, Target

API_VERSION = "2024-10-21"
API_VERSION_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
# One DNS label: anything else could point the resource URL at another host.
RESOURCE_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$")
AUTH_STYLES = ("api-key", "bearer")


class AzureOpenAIClient(common.Client):
    slug = "azure-openai"
    option_keys = frozenset({"azure_resource", "api_version", "azure_auth"})

    def check_options(self, options: Mapping[str, str], base_url: str) -> list[str]:
        errors = super().check_options(options, base_url)
        resource, version = options.get("azure_resource"), options.get("api_version")
        if not resource and not base_url:
            errors.append("azure-openai needs the azure_resource option or a base URL.")
        if resource and not RESOURCE_PATTERN.match(resource):
            errors.append(f"azure_resource {resource!r} is not an Azure resource name.")
        if version and not API_VERSION_PATTERN.match(version):
            errors.append(f"api_version {version!r} is not an Azure API version (YYYY-MM-DD).")
        if options.get("azure_auth", "api-key") not in AUTH_STYLES:
            errors.append(f"azure_auth must be one of {', '.join(AUTH_STYLES)}.")
        return errors

    def list_models(self, target: Target, query: Mapping[str, str] = EMPTY) -> ModelList:
        # The api-version comes from the route's settings: the parser below expects its shape.
        params = common.pass_through(query, provider=self.slug, refused=["api-version"])
        data = self._get(target, "/openai/models", params)
        return ModelList(tuple(self._model(i) for i in common.items(data, "data", self.slug)))

    def retrieve_model(self, target: Target, model_id: str) -> Model:
        # https://learn.microsoft.com/en-us/rest/api/azureopenai/models/get
        path = "/openai/models/" + common.model_path(model_id, self.slug)
        with common.missing_is_not_found(model_id, self.slug):
            data = self._get(target, path, {})
        return self._model(common.obj(data, self.slug))

    def _get(self, target: Target, path: str, params: dict) -> object:
        # https://learn.microsoft.com/en-us/rest/api/azureopenai/models/list
        self.require_valid(target)
        resource = target.options.get("azure_resource")
        url = common.base_url(target, f"https://{resource}.openai.azure.com") + path
        if target.options.get("azure_auth") == "bearer":  # a Microsoft Entra ID token
            headers = {"Authorization": f"Bearer {target.credential}"}
        else:
            headers = {"api-key": target.credential}
        params = {**params, "api-version": target.options.get("api_version") or API_VERSION}
        return http.get_json(url, provider=self.slug, headers=headers, params=params)

    def _model(self, item: dict) -> Model:
        return Model(
            id=common.text(item, "id", self.slug),
            created=common.unix(item.get("created_at")),
            owned_by=self.slug,  # Azure gives no owner field
            capabilities=common.flags(item.get("capabilities")),
        )
