"""Thin views: read the request, call a service, render."""

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.views import APIView

from models_api.api import services
from models_api.api.rendering import json_response
from models_api.api.routing import route_read
from models_api.api.schema import model_retrieve_schema, models_list_schema
from models_api.errors import InvalidRequest

MAX_QUERY_PARAMS = 100
MAX_MODEL_ID_LENGTH = 512


class ApiKeyUnlessOpenMode(BasePermission):
    """Reject a request without a gateway key before reading its route, unless in open mode."""

    def has_permission(self, request, view):
        if request.auth is None and settings.GATEWAY_REQUIRE_API_KEY:
            services.api_key_require(api_key=None)
        return True


def query_params(request) -> dict[str, str]:
    if len(request.query_params) > MAX_QUERY_PARAMS:
        raise InvalidRequest(f"Too many query parameters (at most {MAX_QUERY_PARAMS}).")
    return {key: request.query_params.get(key) for key in request.query_params}


def model_id_check(model_id: str) -> str:
    """Refuse ids that could escape the provider's path or break its URL."""
    segments = model_id.split("/")
    if (
        len(model_id) > MAX_MODEL_ID_LENGTH
        or not model_id.isprintable()
        or any(segment in (".", "..") for segment in segments)
    ):
        raise InvalidRequest(
            "Model ids are at most 512 printable characters with no '.' or '..' path segments.",
            param="model",
        )
    return model_id


class ModelListView(APIView):
    permission_classes = [ApiKeyUnlessOpenMode]

    @models_list_schema
    def get(self, request):
        body, headers = services.models_list(
            api_key=request.auth, route=route_read(request), query=query_params(request)
        )
        return json_response(request, body, headers=headers)


class ModelRetrieveView(APIView):
    permission_classes = [ApiKeyUnlessOpenMode]

    @model_retrieve_schema
    def get(self, request, model_id):
        body, headers = services.model_retrieve(
            api_key=request.auth, route=route_read(request), model_id=model_id_check(model_id)
        )
        return json_response(request, body, headers=headers)
