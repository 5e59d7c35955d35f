"""Thin views: read the request, call a service, render."""

from rest_framework.views import APIView

from keys.permissions import GatewayKeyRequired
from models_api.api import services
from models_api.api.rendering import json_response
from models_api.api.routing import Route, route_read
from models_api.api.schema import model_retrieve_schema, models_list_schema
from models_api.errors import InvalidRequest

MAX_QUERY_PARAMS = 100
MAX_MODEL_ID_LENGTH = 512


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


class RoutedView(APIView):
    """A view of a request routed by its x-portkey-* headers, read once into a Route."""

    permission_classes = [GatewayKeyRequired]
    _route: Route | None = None

    def route(self) -> Route:
        """This request's Route; GatewayKeyRequired asks for it first in open mode."""
        if self._route is None:
            self._route = route_read(self.request)
        return self._route


class ModelListView(RoutedView):
    @models_list_schema
    def get(self, request):
        body, headers = services.models_list(
            api_key=request.auth, route=self.route(), query=query_params(request)
        )
        return json_response(request, body, headers=headers)


class ModelRetrieveView(RoutedView):
    @model_retrieve_schema
    def get(self, request, model_id):
        body, headers = services.model_retrieve(
            api_key=request.auth, route=self.route(), model_id=model_id_check(model_id)
        )
        return json_response(request, body, headers=headers)
