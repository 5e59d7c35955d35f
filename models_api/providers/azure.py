"""Azure OpenAI: a resource's models and its deployments, by api-key or Entra ID bearer."""

import re
from collections.abc import Mapping

from models_api.providers import fields
from models_api.providers.base import Call, Endpoint, Model, ProviderClient, Target

API_VERSION = "2024-10-21"
API_VERSION_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
# One DNS label: anything else could point the resource URL at another host.
RESOURCE_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$")
AUTH_STYLES = ("api-key", "bearer")


class AzureOpenAIClient(ProviderClient):
    slug = "azure-openai"
    base_url = "https://{azure_resource}.openai.azure.com"
    # https://learn.microsoft.com/en-us/rest/api/azureopenai/models/list and .../models/get
    list_path = "/openai/models"
    retrieve_path = "/openai/models/{id}"
    # The route's settings choose the api-version: the item reader expects its shape.
    refused_params = frozenset({"api-version"})
    # The model id is the deployment's name, and the body stays in OpenAI's shape:
    # https://learn.microsoft.com/en-us/azure/ai-services/openai/reference
    calls = {
        "chat": Call("/openai/deployments/{model}/chat/completions"),
        "completions": Call("/openai/deployments/{model}/completions"),
        "embeddings": Call("/openai/deployments/{model}/embeddings"),
    }
    option_keys = frozenset({"azure_resource", "api_version", "azure_auth"})
    stream_usage = True  # since api-version 2024-09-01-preview, and in GA 2024-10-21

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

    def _endpoint(self, target: Target, path: str, *, call: bool = False) -> Endpoint:
        if target.options.get("azure_auth") == "bearer":  # a Microsoft Entra ID token
            headers = {"Authorization": f"Bearer {target.credential}"}
        else:
            headers = {"api-key": target.credential}
        params = {"api-version": target.options.get("api_version") or API_VERSION}
        return Endpoint(
            self._root(target, call=call) + path, headers, params, secrets=(target.credential,)
        )

    def _model(self, item: dict) -> Model:
        return Model(
            id=fields.text(item, "id", self.slug),
            created=fields.unix(item.get("created_at")),
            owned_by=self.slug,  # Azure gives no owner field
            capabilities=fields.flags(item.get("capabilities")),
        )
