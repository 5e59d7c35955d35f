"""The OpenAPI description of the models API (drf-spectacular): headers, query, bodies, errors."""

import re

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from keys.models import VIRTUAL_KEY_SLUG
from models_api.api.routing import MAX_HEADER_LENGTH, OPTION_HEADERS
from models_api.catalog.query import MAX_LIMIT, MAX_SEARCH_LENGTH, SORTS
from models_api.providers import provider_names

# The serializers below only document response bodies; the views render plain dicts.


class ErrorDetailSerializer(serializers.Serializer):
    message = serializers.CharField()
    type = serializers.CharField()
    param = serializers.CharField(allow_null=True)
    code = serializers.CharField(allow_null=True)
    provider = serializers.CharField(required=False, help_text="Set when a provider failed.")


class ErrorSerializer(serializers.Serializer):
    """OpenAI's error body: the OpenAI SDKs map its status to an exception class."""

    error = ErrorDetailSerializer()


class ModelSerializer(serializers.Serializer):
    """One model in OpenAI's shape; catalog entries and some providers add metadata fields."""

    id = serializers.CharField()
    object = serializers.ChoiceField(choices=["model"])
    created = serializers.IntegerField(help_text="Unix seconds; 0 when the provider gives none.")
    owned_by = serializers.CharField(allow_blank=True)


class ModelListSerializer(serializers.Serializer):
    object = serializers.ChoiceField(choices=["list"])
    data = ModelSerializer(many=True)
    provider = serializers.CharField(required=False, help_text="On provider routes.")
    total_count = serializers.IntegerField(required=False, help_text="On the local catalog.")
    limit = serializers.IntegerField(
        required=False, allow_null=True, help_text="null when no limit was asked: every model."
    )
    offset = serializers.IntegerField(required=False)
    has_more = serializers.BooleanField(required=False)


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERRORS = {
    400: _error("A bad header, config, query parameter or model id."),
    401: _error("No, unknown, revoked or expired gateway key; or the provider refused the key."),
    403: _error("This key may not use that virtual key or model."),
    404: _error("Unknown virtual key, model or URL."),
    405: _error("Only GET is supported."),
    406: _error("The Accept header allows no JSON."),
    429: _error("This key is over its rate limit (see Retry-After), or the provider's is."),
    502: _error("The provider failed, could not be reached, or answered nonsense."),
    504: _error("The provider or control plane was too slow."),
}
# Any other status a provider rejects a request with is passed on with its message.
ERRORS["4XX"] = _error("The provider rejected the request; its status and message are kept.")


def _header(name: str, description: str, **schema) -> OpenApiParameter:
    schema = {"type": "string", "maxLength": MAX_HEADER_LENGTH, **schema}
    return OpenApiParameter(name, schema, OpenApiParameter.HEADER, description=description)


_SLUG = VIRTUAL_KEY_SLUG.pattern
_PROVIDER = rf"^(@{_SLUG}|" + "|".join(map(re.escape, provider_names())) + ")$"
HEADERS = [
    _header(
        "x-portkey-provider",
        f"A provider ({', '.join(provider_names())}) called with the caller's credential, "
        "or @<virtual-key-slug>.",
        pattern=_PROVIDER,
    ),
    _header("x-portkey-virtual-key", "A virtual key's slug.", pattern=f"^{_SLUG}$"),
    _header(
        "x-portkey-config",
        "Inline JSON config with provider, virtual_key, api_key and custom_host.",
    ),
    _header("x-portkey-custom-host", "Base URL override; its host must be trusted.", format="uri"),
    _header(
        "x-portkey-trace-id", "Echoed back; generated when absent.", pattern=r"^[A-Za-z0-9._:\-]+$"
    ),
    _header("x-portkey-cache-force-refresh", "Bypass the cache.", enum=["true", "false"]),
    _header(
        "x-portkey-fetch-integrated-models",
        "List a named provider or virtual key from the catalog instead of the provider.",
        enum=["true", "false"],
    ),
    *(
        _header(f"x-portkey-{name}", f"Provider option {key}.")
        for name, key in OPTION_HEADERS.items()
    ),
]


def _query(name: str, description: str, schema=None) -> OpenApiParameter:
    schema = schema or {"type": "string", "maxLength": MAX_SEARCH_LENGTH}
    return OpenApiParameter(name, schema, OpenApiParameter.QUERY, description=description)


CATALOG_QUERY = [
    _query("provider", "Comma-separated provider names."),
    _query("virtual_key", "Comma-separated virtual key slugs."),
    _query("search", "Substring of the id or name."),
    _query("capability", "Comma-separated capabilities, e.g. tools,vision."),
    _query("input_modality", "Comma-separated input modalities, e.g. image."),
    _query("output_modality", "Comma-separated output modalities."),
    _query("min_context_length", "Smallest context window.", {"type": "integer", "minimum": 0}),
    _query("sort", "Sort field.", {"type": "string", "enum": sorted(SORTS)}),
    _query("order", "Sort order.", {"type": "string", "enum": ["asc", "desc"]}),
    _query(
        "limit",
        "Page size; without it, every model the key may see.",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    ),
    _query("offset", "Entries to skip.", {"type": "integer", "minimum": 0}),
]
MODEL_ID = OpenApiParameter(
    "model_id",
    {"type": "string", "minLength": 1},
    OpenApiParameter.PATH,
    description="A provider's model id, or a catalog id @<virtual-key>/<model> ('/' allowed).",
)

models_list_schema = extend_schema(
    operation_id="models_list",
    summary="List models",
    description="A provider's models (provider routes), the control plane's, or the local "
    "catalog's (no provider), whose query parameters are listed here. On provider routes, "
    "query parameters are passed to the provider.",
    parameters=[*HEADERS, *CATALOG_QUERY],
    responses={200: ModelListSerializer, **ERRORS},
)
model_retrieve_schema = extend_schema(
    operation_id="models_retrieve",
    summary="Retrieve a model",
    parameters=[MODEL_ID, *HEADERS],
    responses={200: ModelSerializer, **ERRORS},
)


class GatewayKeyScheme(OpenApiAuthenticationExtension):
    """keys.authentication.ApiKeyAuthentication: x-portkey-api-key, or a Bearer gateway key."""

    target_class = "keys.authentication.ApiKeyAuthentication"
    name = ["gatewayKey", "gatewayBearer"]

    def get_security_requirement(self, auto_schema):
        return [{"gatewayKey": []}, {"gatewayBearer": []}]  # either one

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "x-portkey-api-key"},
            {"type": "http", "scheme": "bearer", "description": "A gateway key (gwk_...)."},
        ]
