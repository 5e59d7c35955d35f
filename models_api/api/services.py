"""List and retrieve models for (ApiKey, Route): provider route, control plane, or catalog.

Callers got past keys.permissions.GatewayKeyRequired: `api_key` is None only in open mode,
on a provider route with the caller's own credential.
"""

from collections.abc import Mapping

from django.conf import settings

from keys.access import access_resolve
from keys.models import ApiKey
from models_api.api import catalog_route, control_plane_route, provider_route
from models_api.api.routing import Route


def models_list(
    *, api_key: ApiKey | None, route: Route, query: Mapping[str, str]
) -> tuple[dict, dict]:
    """(body, headers) for GET /v1/models."""
    access = access_resolve(api_key=api_key)
    if route.names_provider and route.fetch_integrated_models:
        return catalog_route.catalog_integrated(access=access, route=route, params=query)
    if route.names_provider:
        return provider_route.provider_models_list(access=access, route=route, query=query)
    if settings.GATEWAY_CONTROL_PLANE_URL:
        return control_plane_route.control_plane_list(access=access, route=route, query=query)
    body, status = catalog_route.catalog_list_cached(access=access, params=query)
    return body, {"x-portkey-cache-status": status}


def model_retrieve(*, api_key: ApiKey | None, route: Route, model_id: str) -> tuple[dict, dict]:
    """(body, headers) for GET /v1/models/{id}."""
    access = access_resolve(api_key=api_key)
    if route.names_provider:
        return provider_route.provider_model_retrieve(access=access, route=route, model_id=model_id)
    if settings.GATEWAY_CONTROL_PLANE_URL:
        return control_plane_route.control_plane_retrieve(
            access=access, route=route, model_id=model_id
        )
    body, status = catalog_route.catalog_retrieve_cached(access=access, public_id=model_id)
    return body, {"x-portkey-cache-status": status}
