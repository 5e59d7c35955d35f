"""The catalog route: a key's view of the local catalog, cached briefly per scope and query."""

from collections.abc import Mapping

from keys.access import Access
from models_api.api.provider_route import route_virtual_key
from models_api.api.rendering import RenderedJSON
from models_api.api.routing import Route
from models_api.cache import cache_key, cached_once
from models_api.catalog.query import (
    catalog_callable,
    catalog_generation,
    catalog_list_parts,
    catalog_retrieve,
)

CATALOG_CACHE_SECONDS = 5


def catalog_list_cached(*, access: Access, params: Mapping[str, str]) -> tuple[RenderedJSON, str]:
    """catalog_list, cached briefly per (scope, query, catalog generation); (body, status).

    Clients such as IDEs ask on every prompt; a sync or a virtual-key change bumps the
    generation, so a cached page never outlives the data behind it by more than the TTL.
    """

    def render() -> RenderedJSON:
        items, totals = catalog_list_parts(access=access, params=params)
        return RenderedJSON.of_list({"object": "list"}, items, totals)

    return _cached(("list", sorted(params.items())), access, render)


def catalog_integrated(
    *, access: Access, route: Route, params: Mapping[str, str]
) -> tuple[RenderedJSON, dict]:
    """(body, headers) for x-portkey-fetch-integrated-models: the catalog, filtered to the
    virtual key or provider the route names, instead of that provider's own list (as the
    hosted Portkey gateway answers it)."""
    if route.virtual_key:
        virtual_key = route_virtual_key(access=access, route=route)
        params = {**params, "virtual_key": virtual_key.slug}
    else:
        params = {**params, "provider": route.provider}
    body, status = catalog_list_cached(access=access, params=params)
    return body, {"x-portkey-cache-status": status}


def catalog_retrieve_cached(*, access: Access, public_id: str) -> tuple[RenderedJSON, str]:
    """catalog_retrieve, cached like catalog_list_cached; a NotFound is not cached."""
    return _cached(
        ("retrieve", public_id),
        access,
        lambda: RenderedJSON.of(catalog_retrieve(access=access, public_id=public_id)),
    )


def catalog_callable_cached(*, access: Access, model: str) -> list[dict]:
    """catalog_callable, cached like the pages it agrees with, so a call resolves its model
    without a database query (the largest part of the gateway's own time on a call)."""
    key = _scope_key(access, ("callable", model))
    build = lambda: catalog_callable(access=access, model=model)  # noqa: E731
    return cached_once(key, build, CATALOG_CACHE_SECONDS)[0]


def _scope_key(access: Access, what) -> str:
    return cache_key(
        "catalog",
        catalog_generation(),
        access.all_virtual_keys,
        sorted(access.virtual_key_ids),
        access.model_patterns,
        what,
    )


def _cached(what, access: Access, render) -> tuple[RenderedJSON, str]:
    key = _scope_key(access, what)
    return cached_once(key, lambda: render().with_gzip(), CATALOG_CACHE_SECONDS)
