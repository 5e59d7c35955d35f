"""List and retrieve models for (ApiKey, Route): provider route, control plane, or catalog."""

from collections.abc import Mapping

from django.conf import settings

from keys.access import access_resolve
from keys.models import ApiKey
from models_api.api import catalog_route, control_plane_route, provider_route
from models_api.api.routing import Route
from models_api.errors import AuthenticationError

MISSING_KEY = (
    "Missing gateway API key: pass it in the x-portkey-api-key header "
    "or as Authorization: Bearer <key>."
)


def api_key_require(*, api_key: ApiKey | None, route: Route | None = None) -> None:
    """401 unless a key was given, or open mode lets a provider route with a credential pass."""
    if api_key is not None:
        return
    open_mode = not settings.GATEWAY_REQUIRE_API_KEY
    if open_mode and route is not None and route.provider and not route.virtual_key:
        if route.credential:
            return
        raise AuthenticationError(
            MISSING_KEY + " Without one, send the provider's own key as Authorization: Bearer."
        )
    raise AuthenticationError(MISSING_KEY)


def models_list(
    *, api_key: ApiKey | None, route: Route, query: Mapping[str, str]
) -> tuple[dict, dict]:
    """(body, headers) for GET /v1/models."""
    api_key_require(api_key=api_key, route=route)
    access = access_resolve(api_key=api_key)
    if route.names_provider and route.fetch_integrated_models:
        return catalog_route.catalog_integrated(access=access, route=route, params=query)
    if route.names_provider:
        return provider_route.provider_models_list(
            api_key=api_key, access=access, route=route, query=query
        )
    if settings.GATEWAY_CONTROL_PLANE_URL:
        return control_plane_route.control_plane_list(
            api_key=api_key, access=access, route=route, query=query
        )
    body, status = catalog_route.catalog_list_cached(access=access, params=query)
    return body, {"x-portkey-cache-status": status}


def model_retrieve(*, api_key: ApiKey | None, route: Route, model_id: str) -> tuple[dict, dict]:
    """(body, headers) for GET /v1/models/{id}."""
    api_key_require(api_key=api_key, route=route)
    access = access_resolve(api_key=api_key)
    if route.names_provider:
        return provider_route.provider_model_retrieve(
            api_key=api_key, access=access, route=route, model_id=model_id
        )
    if settings.GATEWAY_CONTROL_PLANE_URL:
        return control_plane_route.control_plane_retrieve(
            api_key=api_key, access=access, route=route, model_id=model_id
        )
    body, status = catalog_route.catalog_retrieve_cached(access=access, public_id=model_id)
    return body, {"x-portkey-cache-status": status}
